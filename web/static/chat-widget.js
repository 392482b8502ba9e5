/* Switchboard web chat widget: plain JavaScript, no dependencies, no CDN.
 * Embed with <script src="https://desk.example/widget/chat.js" defer></script>.
 * The conversation token is kept in localStorage, so a reloaded page resumes.
 * Texts follow the page's language (<html lang>): en, fi, sv, uk. */
(function () {
  "use strict";
  var script = document.currentScript;
  var base = new URL(script ? script.src : location.href);
  var socketUrl = (base.protocol === "https:" ? "wss://" : "ws://") + base.host + "/api/channels/chat/ws";
  var KEY = "switchboard.chat.token";
  var TEXT = {
    en: { title: "Chat with us", name: "Your name", email: "Your email", start: "Start chat",
      message: "Message", send: "Send", attach: "Attach a file", request: "Request",
      reconnecting: "Reconnecting...", leave: "No agent is available right now: leave a message and we will answer by email.",
      leaveLabel: "Your message", filed: "Thank you. Your request number is", tooBig: "The file is too large; the limit is",
      bytes: "bytes", readMore: "Read the article",
      agentsBack: "An agent is available now: write and they will answer." },
    fi: { title: "Keskustele kanssamme", name: "Nimesi", email: "Sähköpostisi", start: "Aloita keskustelu",
      message: "Viesti", send: "Lähetä", attach: "Liitä tiedosto", request: "Pyyntö",
      reconnecting: "Yhdistetään uudelleen...", leave: "Yksikään asiakaspalvelija ei ole nyt tavoitettavissa: jätä viesti, niin vastaamme sähköpostilla.",
      leaveLabel: "Viestisi", filed: "Kiitos. Pyyntösi numero on", tooBig: "Tiedosto on liian suuri; raja on",
      bytes: "tavua", readMore: "Lue artikkeli",
      agentsBack: "Asiakaspalvelija on nyt tavoitettavissa: kirjoita, niin hän vastaa." },
    sv: { title: "Chatta med oss", name: "Ditt namn", email: "Din e-post", start: "Starta chatten",
      message: "Meddelande", send: "Skicka", attach: "Bifoga en fil", request: "Ärende",
      reconnecting: "Ansluter igen...", leave: "Ingen handläggare är tillgänglig just nu: lämna ett meddelande så svarar vi per e-post.",
      leaveLabel: "Ditt meddelande", filed: "Tack. Ditt ärendenummer är", tooBig: "Filen är för stor; gränsen är",
      bytes: "byte", readMore: "Läs artikeln",
      agentsBack: "En handläggare är tillgänglig nu: skriv så svarar hen." },
    uk: { title: "Напишіть нам", name: "Ваше ім'я", email: "Ваша електронна пошта", start: "Почати чат",
      message: "Повідомлення", send: "Надіслати", attach: "Додати файл", request: "Звернення",
      reconnecting: "Повторне з'єднання...", leave: "Зараз немає вільних операторів: залиште повідомлення, і ми відповімо електронною поштою.",
      leaveLabel: "Ваше повідомлення", filed: "Дякуємо. Номер вашого звернення", tooBig: "Файл завеликий; обмеження",
      bytes: "байтів", readMore: "Читати статтю",
      agentsBack: "Оператор уже на зв'язку: напишіть, і він відповість." }
  };
  var language = (document.documentElement.lang || navigator.language || "en").slice(0, 2).toLowerCase();
  var t = TEXT[language] || TEXT.en;
  var socket = null, pending = {}, counter = 0, lastTyping = 0, retry = 500;
  var maxFileBytes = 0, offline = false, withBot = false;

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text) node.textContent = text;
    return node;
  }

  var root = el("section", { "class": "sb-chat", "aria-label": t.title, "role": "region" });
  root.style.cssText = "position:fixed;right:1em;bottom:1em;width:20em;font:14px sans-serif;" +
    "background:#fff;border:1px solid #888;border-radius:6px;padding:.5em;z-index:2147483000";
  var log = el("ol", { "class": "sb-log", "aria-live": "polite" });
  log.style.cssText = "list-style:none;margin:0;padding:0;max-height:16em;overflow-y:auto";
  var status = el("p", { "class": "sb-status", "role": "status" });
  var alert = el("p", { "class": "sb-alert", "role": "alert" });
  alert.style.cssText = "color:#a00;margin:.25em 0";
  var notice = el("p", { "class": "sb-leave", hidden: "" }, t.leave);
  var form = el("form", { "class": "sb-prechat" });
  var name = el("input", { name: "name", required: "", autocomplete: "name", "aria-label": t.name, placeholder: t.name });
  var email = el("input", { name: "email", type: "email", required: "", autocomplete: "email", "aria-label": t.email, placeholder: t.email });
  form.append(name, email, el("button", { type: "submit" }, t.start));
  var compose = el("form", { "class": "sb-compose", hidden: "" });
  var text = el("textarea", { name: "text", rows: "2", "aria-label": t.message, maxlength: "4000" });
  var file = el("input", { name: "file", type: "file", "aria-label": t.attach });
  compose.append(text, el("button", { type: "submit" }, t.send), file);
  root.append(el("h2", {}, t.title), log, status, alert, notice, form, compose);

  function link(href, label) {
    var a = el("a", { href: new URL(href, base).href, target: "_blank", rel: "noopener" }, label);
    return a;
  }

  function show(from, body, id, extra) {
    var item = el("li", { "class": "sb-" + from, "data-id": id || "" });
    var words = el("span", { "class": "sb-text" }, body);
    item.append(words);
    extra = extra || {};
    if (extra.article) {
      var card = el("div", { "class": "sb-article" });
      card.append(el("strong", {}, extra.article.title), el("p", {}, extra.article.excerpt),
        link(extra.article.url, t.readMore));
      item.append(card);
    }
    (extra.files || []).forEach(function (f) {
      item.append(" ", link(f.url, f.name));
    });
    log.append(item);
    log.scrollTop = log.scrollHeight;
    return item;
  }

  function setOffline(value) {
    offline = value;
    notice.hidden = !value;
    text.setAttribute("aria-label", value ? t.leaveLabel : t.message);
  }

  function connect(hello) {
    socket = new WebSocket(socketUrl);
    socket.onopen = function () { retry = 500; socket.send(JSON.stringify(hello())); };
    socket.onmessage = function (event) {
      var frame = JSON.parse(event.data);
      if (frame.type === "ready") {
        localStorage.setItem(KEY, frame.token);
        log.textContent = "";
        maxFileBytes = frame.max_file_bytes || 0;
        frame.history.forEach(function (m) { show(m.from, m.text, "", m); });
        form.hidden = true; compose.hidden = false;
        status.textContent = frame.ticket ? t.request + " " + frame.ticket : "";
        withBot = !!frame.bot;
        setOffline(!frame.agents && !withBot);
      } else if (frame.type === "ack") {
        var item = pending[frame.id];
        if (item) { item.classList.remove("sb-sending"); delete pending[frame.id]; }
      } else if (frame.type === "message") {
        show(frame.from === "bot" ? "bot" : "agent", frame.text, frame.id, frame);
        if (frame.ticket) status.textContent = t.request + " " + frame.ticket;
        if (frame.from === "bot") setOffline(!!frame.offline);
      } else if (frame.type === "agents") {
        // Agents came or went. Without a bot the widget switches between chat and
        // leaving a message; with one, the bot decides, and a visitor it asked to leave
        // a message hears that a person is back.
        if (!withBot) setOffline(!frame.available);
        else if (frame.available && offline) { setOffline(false); show("bot", t.agentsBack); }
      } else if (frame.type === "filed") {
        var left = pending[frame.id];
        if (left) { left.classList.remove("sb-sending"); delete pending[frame.id]; }
        show("bot", t.filed + " " + frame.ticket + ".");
        status.textContent = t.request + " " + frame.ticket;
      } else if (frame.type === "error") {
        var failed = frame.id && pending[frame.id];
        if (failed) { failed.classList.remove("sb-sending"); failed.classList.add("sb-failed"); delete pending[frame.id]; }
        alert.textContent = frame.detail;
      }
    };
    socket.onclose = function () {
      if (!localStorage.getItem(KEY)) return;
      status.textContent = t.reconnecting;
      setTimeout(function () { connect(resume); }, retry);
      retry = Math.min(retry * 2, 15000);
    };
  }

  function resume() { return { type: "hello", token: localStorage.getItem(KEY), language: language }; }
  function nextId() { return Date.now().toString(36) + "-" + (counter++); }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    connect(function () { return { type: "hello", name: name.value, email: email.value, language: language }; });
  });
  compose.addEventListener("submit", function (event) {
    event.preventDefault();
    var body = text.value.trim();
    if (!body || !socket) return;
    var id = nextId();
    alert.textContent = "";
    pending[id] = show("visitor", body, id);
    pending[id].classList.add("sb-sending");
    socket.send(JSON.stringify({ type: offline ? "leave_message" : "message", id: id, text: body }));
    text.value = "";
  });
  file.addEventListener("change", function () {
    var chosen = file.files && file.files[0];
    file.value = "";
    if (!chosen || !socket) return;
    alert.textContent = "";
    if (maxFileBytes && chosen.size > maxFileBytes) {
      alert.textContent = t.tooBig + " " + maxFileBytes + " " + t.bytes + ".";
      return;
    }
    var reader = new FileReader();
    reader.onload = function () {
      var data = String(reader.result).split(",")[1] || "";
      var id = nextId();
      pending[id] = show("visitor", chosen.name, id);
      pending[id].classList.add("sb-sending", "sb-file");
      socket.send(JSON.stringify({ type: "file", id: id, name: chosen.name, data: data }));
    };
    reader.readAsDataURL(chosen);
  });
  text.addEventListener("input", function () {
    var now = Date.now();
    if (socket && now - lastTyping > 2000) {
      lastTyping = now;
      socket.send(JSON.stringify({ type: "typing" }));
    }
  });

  document.body.append(root);
  if (localStorage.getItem(KEY)) connect(resume);
})();
