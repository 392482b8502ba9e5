/* Switchboard browser softphone: an agent's phone registering over SIP on a WebSocket
 * (SIP.js, vendor/sip.min.js) with audio over WebRTC (DTLS-SRTP, ICE host candidates).
 * Plain JavaScript, no CDN. Texts follow ?lang= or the browser's language: en, fi, sv, uk. */
(function () {
  "use strict";
  var TEXT = {
    en: { title: "Softphone", extension: "Extension", password: "SIP password", server: "Server",
      signIn: "Sign in", signOut: "Sign out", autoAnswer: "Answer calls automatically",
      answer: "Answer", hangUp: "Hang up", signed_out: "Signed out", registering: "Signing in...",
      ready: "Ready for calls", ringing: "Ringing", in_call: "In a call", failed: "Not signed in",
      from: "Call from", wrongPassword: "Sign-in failed: wrong extension or password.",
      refused: "Sign-in refused by the phone system", unreachable: "Cannot reach the phone system at",
      disconnected: "The connection to the phone system was lost. Sign in again.",
      noMicrophone: "The call could not be answered: no microphone is available or allowed.",
      audio: "Audio", sent: "packets sent", received: "received", secured: "encrypted" },
    fi: { title: "Ohjelmistopuhelin", extension: "Alanumero", password: "SIP-salasana", server: "Palvelin",
      signIn: "Kirjaudu", signOut: "Kirjaudu ulos", autoAnswer: "Vastaa puheluihin automaattisesti",
      answer: "Vastaa", hangUp: "Lopeta puhelu", signed_out: "Uloskirjautunut", registering: "Kirjaudutaan...",
      ready: "Valmis puheluihin", ringing: "Puhelu saapuu", in_call: "Puhelu käynnissä", failed: "Ei kirjautunut",
      from: "Soittaja", wrongPassword: "Kirjautuminen epäonnistui: väärä alanumero tai salasana.",
      refused: "Puhelinjärjestelmä hylkäsi kirjautumisen", unreachable: "Puhelinjärjestelmään ei saada yhteyttä osoitteessa",
      disconnected: "Yhteys puhelinjärjestelmään katkesi. Kirjaudu uudelleen.",
      noMicrophone: "Puheluun ei voitu vastata: mikrofonia ei ole tai sen käyttöä ei sallittu.",
      audio: "Ääni", sent: "pakettia lähetetty", received: "vastaanotettu", secured: "salattu" },
    sv: { title: "Mjukvarutelefon", extension: "Anknytning", password: "SIP-lösenord", server: "Server",
      signIn: "Logga in", signOut: "Logga ut", autoAnswer: "Svara på samtal automatiskt",
      answer: "Svara", hangUp: "Lägg på", signed_out: "Utloggad", registering: "Loggar in...",
      ready: "Redo för samtal", ringing: "Det ringer", in_call: "I samtal", failed: "Inte inloggad",
      from: "Samtal från", wrongPassword: "Inloggningen misslyckades: fel anknytning eller lösenord.",
      refused: "Telefonsystemet nekade inloggningen", unreachable: "Telefonsystemet kan inte nås på",
      disconnected: "Anslutningen till telefonsystemet bröts. Logga in igen.",
      noMicrophone: "Samtalet kunde inte besvaras: ingen mikrofon finns eller är tillåten.",
      audio: "Ljud", sent: "paket skickade", received: "mottagna", secured: "krypterat" },
    uk: { title: "Програмний телефон", extension: "Внутрішній номер", password: "Пароль SIP", server: "Сервер",
      signIn: "Увійти", signOut: "Вийти", autoAnswer: "Відповідати на дзвінки автоматично",
      answer: "Відповісти", hangUp: "Завершити", signed_out: "Ви не увійшли", registering: "Вхід...",
      ready: "Готовий до дзвінків", ringing: "Вхідний дзвінок", in_call: "Розмова", failed: "Вхід не виконано",
      from: "Дзвінок від", wrongPassword: "Не вдалося увійти: неправильний номер або пароль.",
      refused: "Телефонна система відхилила вхід", unreachable: "Телефонна система недоступна за адресою",
      disconnected: "З'єднання з телефонною системою втрачено. Увійдіть знову.",
      noMicrophone: "Не вдалося відповісти: мікрофон відсутній або доступ до нього заборонено.",
      audio: "Звук", sent: "пакетів надіслано", received: "отримано", secured: "зашифровано" }
  };
  var params = new URLSearchParams(location.search);
  var language = (params.get("lang") || navigator.language || "en").slice(0, 2).toLowerCase();
  if (!TEXT[language]) language = "en";
  var t = TEXT[language];
  document.documentElement.lang = language;
  document.title = t.title;
  document.querySelectorAll("[data-text]").forEach(function (node) {
    node.textContent = t[node.getAttribute("data-text")];
  });

  function $(id) { return document.getElementById(id); }
  var form = $("login"), extension = $("extension"), password = $("password"), server = $("server");
  var stateLine = $("state"), callerLine = $("caller"), alertLine = $("alert"), mediaLine = $("media");
  var answerButton = $("answer"), hangupButton = $("hangup"), signOutButton = $("unregister");
  var autoAnswer = $("auto-answer"), remoteAudio = $("remote-audio");
  var KEY = "switchboard.softphone";
  var saved = JSON.parse(localStorage.getItem(KEY) || "{}");
  var meta = document.querySelector("meta[name=sip-websocket]");
  server.value = params.get("server") || saved.server || (meta && meta.content) || "";
  extension.value = saved.extension || "";
  autoAnswer.checked = !!saved.autoAnswer;

  var ua = null, registerer = null, session = null, statsTimer = null;

  function show(state, alertText) {
    stateLine.setAttribute("data-state", state);
    stateLine.textContent = t[state];
    alertLine.textContent = alertText || "";
    var ringing = state === "ringing", inCall = state === "in_call";
    answerButton.disabled = !ringing;
    hangupButton.disabled = !(ringing || inCall);
    signOutButton.disabled = !(state === "ready" || state === "registering");
    form.querySelector("button").disabled = state !== "signed_out" && state !== "failed";
    if (!ringing && !inCall) callerLine.textContent = "";
  }

  function fail(text) {
    var old = ua;
    ua = null;
    registerer = null;
    if (old) old.stop().catch(function () {});
    show("failed", text);
  }

  function remember() {
    localStorage.setItem(KEY, JSON.stringify({
      server: server.value, extension: extension.value, autoAnswer: autoAnswer.checked
    }));
  }
  autoAnswer.addEventListener("change", remember);

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    remember();
    signIn(extension.value.trim(), password.value, server.value.trim());
  });

  function signIn(user, secret, url) {
    var host;
    try { host = new URL(url).hostname; } catch (error) { return show("failed", t.unreachable + " " + url); }
    var uri = SIP.UserAgent.makeURI("sip:" + encodeURIComponent(user) + "@" + host);
    if (!uri) return show("failed", t.wrongPassword);
    show("registering");
    var agent = new SIP.UserAgent({
      uri: uri,
      authorizationUsername: user,
      authorizationPassword: secret,
      transportOptions: { server: url },
      logLevel: "error",
      // host candidates only: no STUN server (SIP.js would ask a public one by default)
      sessionDescriptionHandlerFactoryOptions: {
        peerConnectionConfiguration: { iceServers: [] },
        iceGatheringTimeout: 2000
      },
      delegate: {
        onInvite: function (invitation) {
          if (agent === ua) incoming(invitation); else invitation.reject().catch(function () {});
        },
        onDisconnect: function (error) {
          if (error && agent === ua) fail(t.disconnected);
        }
      }
    });
    ua = agent;
    agent.start().then(function () {
      if (agent !== ua) return;
      registerer = new SIP.Registerer(agent, { expires: 300 });
      registerer.stateChange.addListener(function (state) {
        if (agent !== ua) return;
        if (state === SIP.RegistererState.Registered && !session) show("ready");
      });
      return registerer.register({
        requestDelegate: {
          onReject: function (response) {
            var code = response.message.statusCode;
            fail(code === 401 || code === 403 ? t.wrongPassword
              : t.refused + " (" + code + " " + response.message.reasonPhrase + ")");
          }
        }
      });
    }).catch(function () {
      if (agent === ua) fail(t.unreachable + " " + url);
    });
  }

  signOutButton.addEventListener("click", function () {
    var old = ua, oldRegisterer = registerer;
    ua = null;
    registerer = null;
    show("signed_out");
    var done = oldRegisterer ? oldRegisterer.unregister().catch(function () {}) : Promise.resolve();
    done.then(function () { if (old) return old.stop(); }).catch(function () {});
  });

  function incoming(invitation) {
    if (session) {
      invitation.reject({ statusCode: 486 });
      return;
    }
    session = invitation;
    var who = invitation.remoteIdentity;
    invitation.stateChange.addListener(function (state) { sessionState(invitation, state); });
    show("ringing");
    callerLine.textContent = t.from + " " + (who.displayName ? who.displayName + " " : "") +
      "<" + who.uri.user + ">";
    invitation.progress().catch(function () {});
    if (autoAnswer.checked) answer();
  }

  function answer() {
    if (!session || session.state !== SIP.SessionState.Initial) return;
    answerButton.disabled = true;
    session.accept({
      sessionDescriptionHandlerOptions: { constraints: { audio: true, video: false } }
    }).catch(function () {
      alertLine.textContent = t.noMicrophone;
    });
  }
  answerButton.addEventListener("click", answer);

  hangupButton.addEventListener("click", function () {
    if (!session) return;
    if (session.state === SIP.SessionState.Established) {
      session.bye().catch(function () {});
    } else if (session.state === SIP.SessionState.Initial) {
      session.reject().catch(function () {});
    }
  });

  function sessionState(invitation, state) {
    if (invitation !== session) return;
    if (state === SIP.SessionState.Established) {
      remoteAudio.srcObject = invitation.sessionDescriptionHandler.remoteMediaStream;
      remoteAudio.play().catch(function () {});
      show("in_call");
      watchMedia(invitation);
    } else if (state === SIP.SessionState.Terminated) {
      session = null;
      clearInterval(statsTimer);
      remoteAudio.srcObject = null;
      show(registerer && registerer.state === SIP.RegistererState.Registered ? "ready" : "signed_out");
    }
  }

  /* What the agent (and a test) can see of the media: DTLS state and RTP packet counts. */
  function watchMedia(invitation) {
    var peer = invitation.sessionDescriptionHandler.peerConnection;
    function update() {
      peer.getStats().then(function (report) {
        var dtls = "", sent = 0, received = 0;
        report.forEach(function (stat) {
          if (stat.type === "transport") dtls = stat.dtlsState || dtls;
          if (stat.type === "outbound-rtp" && stat.kind === "audio") sent += stat.packetsSent || 0;
          if (stat.type === "inbound-rtp" && stat.kind === "audio") received += stat.packetsReceived || 0;
        });
        mediaLine.setAttribute("data-dtls", dtls);
        mediaLine.setAttribute("data-sent", String(sent));
        mediaLine.setAttribute("data-received", String(received));
        mediaLine.textContent = t.audio + (dtls === "connected" ? " (" + t.secured + ")" : "") + ": " +
          sent + " " + t.sent + ", " + received + " " + t.received;
      }).catch(function () {});
    }
    clearInterval(statsTimer);
    update();
    statsTimer = setInterval(update, 500);
  }

  show("signed_out");
})();
