/* Switchboard web chat widget: plain JavaScript, no dependencies, no CDN.
 * Embed with <script src="https://desk.example/widget/chat.js" defer></script>.
 * The conversation token is kept in localStorage, so a reloaded page resumes. */
(function () {
  "use strict";
  var script = document.currentScript;
  var base = new URL(script ? script.src : location.href);
  var socketUrl = (base.protocol === "https:" ? "wss://" : "ws://") + base.host + "/api/channels/chat/ws";
  var KEY = "switchboard.chat.token";
  var socket = null, pending = {}, counter = 0, lastTyping = 0, retry = 500;

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text) node.textContent = text;
    return node;
  }

  var root = el("section", { "class": "sb-chat", "aria-label": "Chat", "role": "region" });
  root.style.cssText = "position:fixed;right:1em;bottom:1em;width:20em;font:14px sans-serif;" +
    "background:#fff;border:1px solid #888;border-radius:6px;padding:.5em;z-index:2147483000";
  var log = el("ol", { "class": "sb-log", "aria-live": "polite" });
  log.style.cssText = "list-style:none;margin:0;padding:0;max-height:16em;overflow-y:auto";
  var status = el("p", { "class": "sb-status", "role": "status" });
  var form = el("form", { "class": "sb-prechat" });
  var name = el("input", { name: "name", required: "", autocomplete: "name", "aria-label": "Your name", placeholder: "Your name" });
  var email = el("input", { name: "email", type: "email", required: "", autocomplete: "email", "aria-label": "Your email", placeholder: "Your email" });
  form.append(name, email, el("button", { type: "submit" }, "Start chat"));
  var compose = el("form", { "class": "sb-compose", hidden: "" });
  var text = el("textarea", { name: "text", rows: "2", "aria-label": "Message", maxlength: "4000" });
  compose.append(text, el("button", { type: "submit" }, "Send"));
  root.append(el("h2", {}, "Chat with us"), log, status, form, compose);

  function show(from, body, id) {
    var item = el("li", { "class": "sb-" + from, "data-id": id || "" }, body);
    log.append(item);
    log.scrollTop = log.scrollHeight;
    return item;
  }

  function connect(hello) {
    socket = new WebSocket(socketUrl);
    socket.onopen = function () { retry = 500; socket.send(JSON.stringify(hello())); };
    socket.onmessage = function (event) {
      var frame = JSON.parse(event.data);
      if (frame.type === "ready") {
        localStorage.setItem(KEY, frame.token);
        log.textContent = "";
        frame.history.forEach(function (m) { show(m.from, m.text); });
        form.hidden = true; compose.hidden = false;
        status.textContent = frame.ticket ? "Request " + frame.ticket : "";
      } else if (frame.type === "ack") {
        var item = pending[frame.id];
        if (item) { item.classList.remove("sb-sending"); delete pending[frame.id]; }
      } else if (frame.type === "message") {
        show("agent", frame.text, frame.id);
      } else if (frame.type === "error") {
        status.textContent = frame.detail;
      }
    };
    socket.onclose = function () {
      if (!localStorage.getItem(KEY)) return;
      status.textContent = "Reconnecting...";
      setTimeout(function () { connect(resume); }, retry);
      retry = Math.min(retry * 2, 15000);
    };
  }

  function resume() { return { type: "hello", token: localStorage.getItem(KEY) }; }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    connect(function () { return { type: "hello", name: name.value, email: email.value }; });
  });
  compose.addEventListener("submit", function (event) {
    event.preventDefault();
    var body = text.value.trim();
    if (!body || !socket) return;
    var id = Date.now().toString(36) + "-" + (counter++);
    pending[id] = show("visitor", body, id);
    pending[id].classList.add("sb-sending");
    socket.send(JSON.stringify({ type: "message", id: id, text: body }));
    text.value = "";
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
