// Bridgeway student chat client: protocol v1 over one WebSocket (see docs/protocol.md).
// Everything user-supplied is rendered with textContent, never innerHTML.
"use strict";

(function () {
  const root = document.getElementById("chat");
  if (!root) return;
  const T = JSON.parse(document.getElementById("i18n").textContent);
  const token = root.dataset.token;
  const $ = (id) => document.getElementById(id);
  const els = {
    status: $("status"), members: $("members"), messages: $("messages"), lobby: $("lobby"),
    input: $("message-input"), send: $("send-button"), composer: $("composer"), typing: $("typing"),
    notice: $("notice"), title: $("session-title"), topic: $("session-topic"), prompt: $("prompt"),
    showTr: $("show-translations"), dialog: $("report-dialog"), reportForm: $("report-form"),
    reportReason: $("report-reason"),
  };
  const storeKey = "bw-outbox-" + token.slice(-16);
  const prefKey = "bw-show-translations";
  const fmt = (s, vars) => String(s).replace(/\{(\w+)\}/g, (_, k) => (vars && k in vars ? vars[k] : ""));
  const langName = (code) => (T.language_names && T.language_names[code]) || code;
  // Times follow the interface language the student picked, not whatever the browser was set to.
  const clock = (ts, opts) => { try { return new Date(ts).toLocaleTimeString(T.ui_lang || [], opts); } catch (e) { return new Date(ts).toLocaleTimeString([], opts); } };
  const hhmm = { hour: "2-digit", minute: "2-digit" };

  let ws = null, me = null, room = null, lastId = 0, attempt = 0, typingTimer = null, reportTarget = null;
  let retryTimer = null;
  const members = new Map();
  const rendered = new Map();      // message id -> <li>
  const pending = new Map(loadOutbox()); // client_id -> {text, li}

  function loadOutbox() {
    try { return JSON.parse(localStorage.getItem(storeKey) || "[]").map(([k, v]) => [k, { text: v.text }]); }
    catch (e) { return []; }
  }
  function saveOutbox() {
    try { localStorage.setItem(storeKey, JSON.stringify([...pending].map(([k, v]) => [k, { text: v.text }]))); }
    catch (e) { /* storage full or disabled: retries still work in memory */ }
  }
  function newClientId() {
    const a = new Uint8Array(12); crypto.getRandomValues(a);
    return Array.from(a, (b) => b.toString(16).padStart(2, "0")).join("");
  }
  function setStatus(text, state) { els.status.textContent = text; els.status.dataset.state = state || ""; }
  function showNotice(text) {
    els.notice.textContent = text; els.notice.hidden = !text;
  }
  function canWrite(on) { els.input.disabled = !on; els.send.disabled = !on; }

  els.showTr.checked = localStorage.getItem(prefKey) !== "0";
  document.body.classList.toggle("hide-translations", !els.showTr.checked);
  els.showTr.addEventListener("change", () => {
    localStorage.setItem(prefKey, els.showTr.checked ? "1" : "0");
    document.body.classList.toggle("hide-translations", !els.showTr.checked);
  });

  function connect() {
    clearTimeout(retryTimer); retryTimer = null;
    if (ws && ws.readyState <= WebSocket.OPEN) {  // never two live sockets for one page
      const old = ws; old.onopen = old.onmessage = old.onclose = null; old.close();
    }
    setStatus(attempt ? T.reconnecting : T.connecting, attempt ? "reconnecting" : "connecting");
    const proto = location.protocol === "https:" ? "wss:" : "ws:";
    ws = new WebSocket(proto + "//" + location.host + "/ws");
    ws.onopen = () => ws.send(JSON.stringify({ type: "hello", v: 1, token: token, last_id: lastId }));
    ws.onmessage = (ev) => { let f; try { f = JSON.parse(ev.data); } catch (e) { return; } handle(f); };
    ws.onclose = (ev) => {
      if (ev.target !== ws) return;  // an older socket we already gave up on
      if ([4000, 4001, 4003, 4008, 4010].includes(ev.code)) {  // final: reconnecting would not help
        canWrite(false);
        if (ev.reason === "left") { setStatus(T.you_left, "ended"); return; }
        setStatus((T.closed && T.closed[ev.code]) || ev.reason || T.session_closed, "ended");
        if (ev.code === 4001) setTimeout(() => { location.href = "/join"; }, 2500);
        return;
      }
      const delay = Math.min(15000, 500 * 2 ** attempt) * (0.5 + Math.random() / 2);
      attempt += 1;
      // Stay writable in a room: new messages wait in the outbox and are sent once the room is resumed.
      canWrite(Boolean(room));
      setStatus(T.reconnecting, "reconnecting");
      retryTimer = setTimeout(connect, delay);
    };
  }

  function send(frame) { if (ws && ws.readyState === WebSocket.OPEN) { ws.send(JSON.stringify(frame)); return true; } return false; }

  function flushOutbox() {
    for (const [cid, item] of pending) {
      if (!item.li) item.li = renderOwnPending(cid, item.text);
      send({ type: "send", client_id: cid, text: item.text });
    }
  }

  function handle(f) {
    switch (f.type) {
      case "welcome": onWelcome(f); break;
      case "paired": enterRoom(f.room); break;
      case "message": renderMessage(f); break;
      case "ack": onAck(f); break;
      case "translation": renderTranslation(f); break;
      case "typing": onTyping(f); break;
      case "presence": onPresence(f); break;
      case "withdrawn": onWithdrawn(f); break;
      case "event": onEvent(f); break;
      case "reported": showNotice(T.reported); break;
      case "resumed": flushOutbox(); break;
      case "error": onError(f); break;
      case "ping": send({ type: "pong" }); break;  // the server's heartbeat: a silent socket is closed (4011)
      default: break;
    }
  }

  function onWelcome(f) {
    attempt = 0; me = f.participant;
    if (f.session) {
      if (f.session.title) els.title.textContent = f.session.title;
      els.topic.textContent = f.session.topic || "";
      setPrompt(f.session.prompt);
    }
    if (f.room) enterRoom(f.room); else waitInLobby();
    if (f.muted_until) showNotice(fmt(T.muted, { time: clock(f.muted_until, hhmm) }));
  }

  function waitInLobby() {
    room = null; els.lobby.hidden = false; canWrite(false); setStatus(T.waiting, "waiting");
  }

  function enterRoom(r) {
    const changed = !room || room.id !== r.id;
    room = r; els.lobby.hidden = true;
    members.clear();
    els.members.replaceChildren();
    for (const m of r.members) {
      members.set(m.id, m);
      const li = document.createElement("li");
      li.dataset.id = m.id; li.dir = "auto";
      li.textContent = m.name + " · " + m.country + (m.id === me.id ? " (" + T.you + ")" : "");
      els.members.appendChild(li);
    }
    if (changed) {
      // A new room: keep the earlier conversation on screen, below a divider; catch up on this room from 0.
      if (els.messages.children.length) {
        const hr = document.createElement("li"); hr.className = "divider"; hr.textContent = T.new_room;
        els.messages.appendChild(hr);
      }
      lastId = 0;
    }
    setStatus(T.connected, "connected"); canWrite(true);
  }

  function setPrompt(text) { els.prompt.hidden = !text; els.prompt.textContent = text ? T.prompt + ": " + text : ""; }

  function messageItem(cls) {
    const li = document.createElement("li"); li.className = "msg " + cls;
    const meta = document.createElement("p"); meta.className = "meta";
    const body = document.createElement("p"); body.className = "text"; body.dir = "auto";  // user text may run either way
    const tr = document.createElement("div"); tr.className = "translations";
    li.append(meta, body, tr);
    return li;
  }

  function renderOwnPending(cid, text) {
    const li = messageItem("own pending");
    li.dataset.cid = cid;
    li.querySelector(".meta").textContent = T.you + " · " + T.sending;
    li.querySelector(".text").textContent = text;
    els.messages.appendChild(li); li.scrollIntoView({ block: "end" });
    return li;
  }

  function renderMessage(f) {
    if (f.id && rendered.has(f.id)) return;
    if (f.id > lastId) lastId = f.id;
    const own = f.from && me && f.from.id === me.id;
    let li = own && f.client_id ? els.messages.querySelector('li[data-cid="' + CSS.escape(f.client_id) + '"]') : null;
    if (!li) {
      li = messageItem(f.kind !== "chat" ? "system " + f.kind : own ? "own" : "peer");
      els.messages.appendChild(li);
    }
    li.classList.remove("pending");
    li.dataset.id = f.id; li.lang = f.lang || "";
    rendered.set(f.id, li);
    const time = clock(f.ts, hhmm);
    const who = f.kind === "announcement" ? T.announcement : f.kind === "prompt" ? T.prompt : own ? T.you : (f.from ? f.from.name + " · " + f.from.country : "");
    const meta = li.querySelector(".meta"); meta.textContent = who + " · " + time;
    li.querySelector(".text").textContent = f.text;
    if (f.kind === "prompt") setPrompt(f.text);
    if (!own && f.kind === "chat" && !li.querySelector("button.report")) {
      const b = document.createElement("button"); b.type = "button"; b.className = "report link";
      b.textContent = T.report; b.setAttribute("aria-label", T.report + ": " + f.text.slice(0, 40));
      b.addEventListener("click", () => openReport(f.id));
      meta.appendChild(b);
    }
    li.scrollIntoView({ block: "end" });
  }

  function renderTranslation(f) {
    const li = rendered.get(f.id);
    if (!li || !me || (me.languages[0] !== f.lang)) return;
    const box = li.querySelector(".translations");
    box.replaceChildren();
    const p = document.createElement("p"); p.className = "translation"; p.lang = f.lang; p.dir = "auto";
    const label = document.createElement("span"); label.className = "tr-label";
    if (f.text !== undefined) {
      label.textContent = fmt(T.translated, { source: langName(f.source), target: langName(f.lang) });
      const t = document.createElement("span"); t.className = "tr-text"; t.textContent = f.text;
      p.append(label, t);
    } else {
      label.textContent = T.translation_failed; p.append(label);
    }
    box.appendChild(p);
  }

  function onAck(f) {
    const item = pending.get(f.client_id);
    pending.delete(f.client_id); saveOutbox();
    const li = (item && item.li) || els.messages.querySelector('li[data-cid="' + CSS.escape(f.client_id) + '"]');
    if (!li) return;
    li.classList.remove("pending");
    if (f.state === "visible" || f.state === "masked") {
      if (f.id > lastId) lastId = f.id;
      if (f.state === "masked" && f.text) li.querySelector(".text").textContent = f.text;
      li.dataset.id = f.id; rendered.set(f.id, li);
      li.querySelector(".meta").textContent = T.you + " · " + clock(f.ts, hhmm);
    } else {
      li.classList.add(f.state);
      li.querySelector(".meta").textContent = T.you + " · " + (f.state === "held" ? T.held : T.blocked);
      const notice = (T.reasons && T.reasons[f.reason]) || f.notice || "";  // the student's language first
      const why = document.createElement("p"); why.className = "why"; why.textContent = notice;
      li.appendChild(why);
      showNotice(notice);
    }
  }

  function onError(f) {
    if (f.client_id && pending.has(f.client_id)) {
      const item = pending.get(f.client_id);
      if (f.code === "unavailable" || f.code === "broker_unavailable") {
        if (item.li) item.li.querySelector(".meta").textContent = T.you + " · " + T.not_sent;
        setTimeout(() => send({ type: "send", client_id: f.client_id, text: item.text }), 3000);
        return;
      }
      pending.delete(f.client_id); saveOutbox();
      if (item.li) { item.li.classList.remove("pending"); item.li.classList.add("blocked"); item.li.querySelector(".meta").textContent = T.you + " · " + T.blocked; }
    }
    showNotice((T.errors && T.errors[f.code]) || f.message || f.code);
  }

  function onTyping(f) {
    if (!me || f.from === me.id) return;
    const m = members.get(f.from);
    els.typing.textContent = fmt(T.typing, { name: m ? m.name : "" });
    clearTimeout(typingTimer); typingTimer = setTimeout(() => { els.typing.textContent = ""; }, 3000);
  }

  function onPresence(f) {
    if (!me || f.participant === me.id) return;
    const m = members.get(f.participant); const name = f.name || (m ? m.name : "");
    const li = els.members.querySelector('li[data-id="' + f.participant + '"]');
    if (li) li.dataset.state = f.state;
    if (f.state === "reconnecting") setStatus(fmt(T.partner_reconnecting, { name }), "partner-reconnecting");
    else if (f.state === "joined") setStatus(T.connected, "connected");
    else if (f.state === "left") { setStatus(fmt(T.left, { name }), "partner-left"); if (li) li.remove(); }
  }

  function onWithdrawn(f) {
    const li = rendered.get(f.id); if (!li) return;
    li.classList.add("withdrawn");
    li.querySelector(".text").textContent = T.withdrawn;
    li.querySelector(".translations").replaceChildren();
  }

  function onEvent(f) {
    switch (f.event) {
      case "partner_left": setStatus(fmt(T.partner_left, { name: f.name || "" }), "partner-left"); canWrite(false); break;
      case "partner_removed": case "partner_moved": showNotice(fmt(T[f.event], { name: f.name || "" })); canWrite(false); break;
      case "waiting": if (!room) setStatus(T.waiting_other_country, "waiting"); break;
      case "left": canWrite(false); setStatus(T.you_left, "ended"); break;
      case "repairing": waitInLobby(); break;
      case "muted": showNotice(fmt(T.muted, { time: clock(f.until, hhmm) })); break;
      case "unmuted": showNotice(T.unmuted); break;
      case "warned": showNotice(fmt(T.warned, { text: f.text || "" })); break;
      case "room_closed": showNotice(T.room_closed); waitInLobby(); break;
      case "moved_out": waitInLobby(); break;
      case "removed": case "banned": showNotice(T.removed); canWrite(false); break;
      case "session_closed": setStatus(T.session_closed, "ended"); canWrite(false); break;
      case "session_paused": setStatus(T.session_paused, "paused"); break;
      case "session_opened": case "session_resumed": setStatus(room ? T.connected : T.waiting, room ? "connected" : "waiting"); break;
      case "slow_mode": showNotice(f.seconds ? fmt(T.slow_mode, { seconds: f.seconds }) : ""); break;
      case "prompt": setPrompt(f.text); break;
      case "broker_unavailable": case "broker_restored": break;
      default: break;
    }
  }

  function openReport(id) {
    reportTarget = id;
    if (typeof els.dialog.showModal === "function") els.dialog.showModal();
    els.reportReason.focus();
  }
  els.dialog.addEventListener("close", () => {
    if (els.dialog.returnValue === "report" && reportTarget) {
      send({ type: "report", message_id: reportTarget, reason: els.reportReason.value });
    }
    reportTarget = null;
  });

  els.composer.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const text = els.input.value.trim();
    if (!text || !room) return;
    const cid = newClientId();
    const item = { text, li: renderOwnPending(cid, text) };
    pending.set(cid, item); saveOutbox();
    send({ type: "send", client_id: cid, text });
    els.input.value = ""; els.input.focus();
  });
  els.input.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" && !ev.shiftKey) { ev.preventDefault(); els.composer.requestSubmit(); }
  });
  els.input.addEventListener("input", () => { if (room) send({ type: "typing" }); });
  // The browser knows about a lost network before TCP does: drop the dead socket now, and retry at once when back.
  window.addEventListener("offline", () => {
    if (!ws) return;
    const dead = ws; ws = null;
    dead.onclose = null; dead.close();
    canWrite(Boolean(room)); attempt = 1;
    setStatus(T.reconnecting, "reconnecting");
    clearTimeout(retryTimer); retryTimer = setTimeout(connect, 1000);
  });
  window.addEventListener("online", () => {
    if (!ws || ws.readyState !== WebSocket.OPEN) { attempt = 1; connect(); }
  });

  // Leaving is for good (the partner is told and the place is given up), so ask first.
  const leaveForm = document.getElementById("leave-form");
  if (leaveForm) leaveForm.addEventListener("submit", (ev) => { if (!window.confirm(T.leave_confirm)) ev.preventDefault(); });

  connect();
})();
