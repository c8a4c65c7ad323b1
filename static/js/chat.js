// Bridgeway student chat client: protocol v1 over one WebSocket (see docs/protocol.md).
// Everything user-supplied is rendered with textContent, never innerHTML.
"use strict";

(function () {
  const root = document.getElementById("chat");
  if (!root) return;
  const T = JSON.parse(document.getElementById("i18n").textContent);
  const P = JSON.parse(document.getElementById("protocol").textContent);  // version and close codes, by name
  const token = root.dataset.token;
  const $ = (id) => document.getElementById(id);
  const els = {
    status: $("status"), members: $("members"), messages: $("messages"), lobby: $("lobby"),
    input: $("message-input"), send: $("send-button"), composer: $("composer"), typing: $("typing"),
    notice: $("notice"), title: $("session-title"), topic: $("session-topic"), prompt: $("prompt"),
    showTr: $("show-translations"), dialog: $("report-dialog"), reportForm: $("report-form"),
    reportReason: $("report-reason"), reason: $("composer-reason"),
  };
  const storeKey = "bw-outbox-" + token.slice(-16);
  const prefKey = "bw-show-translations";
  const fmt = (s, vars) => String(s).replace(/\{(\w+)\}/g, (_, k) => (vars && k in vars ? vars[k] : ""));
  const langName = (code) => (T.language_names && T.language_names[code]) || code;
  // Times follow the interface language the student picked, not whatever the browser was set to.
  const clock = (ts, opts) => { try { return new Date(ts).toLocaleTimeString(T.ui_lang || [], opts); } catch (e) { return new Date(ts).toLocaleTimeString([], opts); } };
  const hhmm = { hour: "2-digit", minute: "2-digit" };

  let ws = null, me = null, room = null, lastSeq = 0, attempt = 0, typingTimer = null, reportTarget = null;
  let retryTimer = null;
  const members = new Map();
  const rendered = new Map();      // message id -> <li>
  const pending = new Map(loadOutbox()); // client_id -> {text, li}
  const unsentReports = [];  // report frames made while the socket was down

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
  // The notice area: one entry per kind of thing that happened. Each says what happened and what to do, and
  // goes away when it no longer applies: a state (muted, partner left, paused) is cleared when the state ends,
  // a one-off (report sent, blocked, a warning) after `ttl` seconds. Nothing stays forever.
  const notices = new Map();  // key -> {p, timer}
  function setNotice(key, text, ttl) {
    let n = notices.get(key);
    if (!text) { clearNotice(key); return; }
    if (!n) {
      const p = document.createElement("p"); p.className = "note"; p.dataset.key = key; p.dir = "auto";
      n = { p, timer: null }; notices.set(key, n); els.notice.appendChild(p);
    }
    n.p.textContent = text;
    clearTimeout(n.timer); n.timer = ttl ? setTimeout(() => clearNotice(key), ttl * 1000) : null;
    els.notice.hidden = false;
  }
  function clearNotice(key) {
    const n = notices.get(key); if (!n) return;
    clearTimeout(n.timer); n.p.remove(); notices.delete(key);
    els.notice.hidden = notices.size === 0;
  }
  const TTL = { short: 4, read: 12 };

  // Why the composer is off, if it is. The first reason that holds wins; the box comes back when none does.
  const block = { ended: "", paused: false, partnerGone: false, mutedUntil: 0 };
  let muteTimer = null;
  function remaining(until) {
    const s = Math.max(0, Math.ceil((until - Date.now()) / 1000));
    return Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0");
  }
  function composerReason() {
    if (block.ended) return block.ended;
    if (block.mutedUntil > Date.now()) return fmt(T.why_muted, { left: remaining(block.mutedUntil) });
    if (block.paused) return T.why_paused;
    if (!room) return T.why_waiting;
    if (block.partnerGone) return T.why_partner_left;
    return "";
  }
  function updateComposer() {
    const why = composerReason();
    els.input.disabled = Boolean(why); els.send.disabled = Boolean(why);
    els.reason.textContent = why; els.reason.hidden = !why;
  }
  function setMuted(until) {
    block.mutedUntil = until ? new Date(until).getTime() : 0;
    clearInterval(muteTimer); muteTimer = null;
    if (block.mutedUntil > Date.now()) {
      setNotice("muted", fmt(T.muted, { time: clock(block.mutedUntil, hhmm) }) + " " + T.muted_what_to_do);
      muteTimer = setInterval(() => {  // the countdown; at zero the mute is over even if the frame is late
        if (block.mutedUntil <= Date.now()) { setMuted(null); setNotice("muted", T.unmuted, TTL.short); }
        else updateComposer();
      }, 1000);
    } else clearNotice("muted");
    updateComposer();
  }
  function end(text) { block.ended = text || T.why_ended; clearNotice("partner"); clearNotice("paused"); updateComposer(); }
  function setPaused(on) {
    block.paused = on;
    if (on) setNotice("paused", T.session_paused + " " + T.paused_what_to_do);
    else clearNotice("paused");
    updateComposer();
  }

  // On a phone the session panel folds away behind one button so the conversation gets the screen.
  const head = $("chat-head"), toggle = $("panel-toggle");
  toggle.addEventListener("click", () => {
    const open = !head.classList.contains("open");
    head.classList.toggle("open", open); toggle.setAttribute("aria-expanded", String(open));
  });

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
    ws.onopen = () => ws.send(JSON.stringify({ type: "hello", v: P.version, token: token, last_seq: lastSeq }));
    ws.onmessage = (ev) => { let f; try { f = JSON.parse(ev.data); } catch (e) { return; } handle(f); };
    ws.onclose = (ev) => {
      if (ev.target !== ws) return;  // an older socket we already gave up on
      const final = [P.close.replaced, P.close.auth_failed, P.close.forbidden, P.close.policy, P.close.session_ended];
      if (final.includes(ev.code)) {  // reconnecting would not help
        if (ev.reason === "left") { setStatus(T.you_left, "ended"); end(T.you_left); return; }
        setStatus((T.closed && T.closed[ev.code]) || ev.reason || T.session_closed, "ended");
        end((T.closed && T.closed[ev.code]) || T.why_ended);
        if (ev.code === P.close.auth_failed) setTimeout(() => { location.href = "/join"; }, 2500);
        return;
      }
      const delay = Math.min(15000, 500 * 2 ** attempt) * (0.5 + Math.random() / 2);
      attempt += 1;
      // Stay writable in a room: new messages wait in the outbox and are sent once the room is resumed.
      updateComposer();
      setStatus(T.reconnecting, "reconnecting");
      retryTimer = setTimeout(connect, delay);
    };
  }

  function send(frame) { if (ws && ws.readyState === WebSocket.OPEN) { ws.send(JSON.stringify(frame)); return true; } return false; }

  function flushOutbox() {
    for (const frame of unsentReports.splice(0)) if (!send(frame)) unsentReports.push(frame);
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
      case "reported": setNotice("reported", T.reported, TTL.short); break;
      case "resumed": if (f.last_seq > lastSeq) lastSeq = f.last_seq; flushOutbox(); break;
      case "error": onError(f); break;
      case "ping": send({ type: "pong" }); break;  // the server's heartbeat: a silent socket is closed (P.close.heartbeat)
      default: break;
    }
  }

  function onWelcome(f) {
    attempt = 0; me = f.participant;
    if (f.session) {
      if (f.session.title) els.title.textContent = f.session.title;
      els.topic.textContent = f.session.topic || "";
      setPrompt(f.session.prompt);
      setPaused(f.session.status === "paused");
    }
    if (f.room) enterRoom(f.room); else waitInLobby();
    setMuted(f.muted_until);
  }

  function waitInLobby() {
    room = null; block.partnerGone = false; els.lobby.hidden = false; updateComposer(); setStatus(T.waiting, "waiting");
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
      clearNotice("translation");  // said about the old room's languages
      // A new room: keep the earlier conversation on screen, below a divider; catch up on this room from 0.
      if (els.messages.children.length) {
        const hr = document.createElement("li"); hr.className = "divider"; hr.textContent = T.new_room;
        els.messages.appendChild(hr);
      }
      lastSeq = 0;
    }
    block.partnerGone = r.members.length < 2; if (!block.partnerGone) clearNotice("partner");
    setStatus(T.connected, "connected"); updateComposer();
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
    // The room position only grows with message frames (docs/protocol.md "Delivery"); an ack's seq may run ahead
    // of a message still on its way, so resuming from it could skip that message.
    if (f.seq > lastSeq) lastSeq = f.seq;
    if (f.id && rendered.has(f.id)) return;
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
    const who = f.kind === "announcement" ? T.announcement : f.kind === "prompt" ? T.prompt : own ? T.you : "";
    const meta = li.querySelector(".meta");
    if (!who && f.from) {  // a name may be written in either direction: isolate it from the time next to it
      const name = document.createElement("span"); name.dir = "auto"; name.className = "who"; name.textContent = f.from.name;
      meta.replaceChildren(name, " · " + f.from.country + " · " + time);
    } else meta.textContent = who + " · " + time;
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
      const t = document.createElement("span"); t.className = "tr-text"; t.dir = "auto"; t.textContent = f.text;
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
      if (f.state === "masked" && f.text) li.querySelector(".text").textContent = f.text;
      li.dataset.id = f.id; rendered.set(f.id, li);
      li.querySelector(".meta").textContent = T.you + " · " + clock(f.ts, hhmm);
      clearNotice("blocked");
      if (f.state === "masked") setNotice("masked", ((T.reasons && T.reasons[f.reason]) || T.masked) + " " + T.masked_what_to_do, TTL.read);
      else clearNotice("masked");
    } else {
      li.classList.add(f.state);
      li.querySelector(".meta").textContent = T.you + " · " + (f.state === "held" ? T.held : T.blocked);
      const notice = (T.reasons && T.reasons[f.reason]) || f.notice || "";  // the student's language first
      const why = document.createElement("p"); why.className = "why"; why.textContent = notice;
      li.appendChild(why);
      setNotice("blocked", notice, TTL.read);
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
    if (f.code === "muted") { if (block.mutedUntil <= Date.now()) setNotice("error", T.errors.muted, TTL.read); return; }
    if (f.code === "session_paused") { setPaused(true); return; }
    if (f.code === "banned") { end(T.errors.banned); }
    setNotice("error", (T.errors && T.errors[f.code]) || f.message || f.code, TTL.read);
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
      case "partner_left": case "partner_removed": case "partner_moved":
        setNotice("partner", fmt(T[f.event], { name: f.name || "" })); block.partnerGone = true; updateComposer(); break;
      case "waiting": if (!room) setStatus(T.waiting_other_country, "waiting"); break;
      case "left": end(T.you_left); setStatus(T.you_left, "ended"); break;
      case "repairing": waitInLobby(); break;
      case "muted": setMuted(f.until); break;
      case "unmuted": setMuted(null); setNotice("muted", T.unmuted, TTL.short); break;
      case "warned": setNotice("warned", fmt(T.warned, { text: f.text || "" }), 20); break;
      case "room_closed": setNotice("partner", T.room_closed + " " + T.room_closed_what_to_do); waitInLobby(); break;
      case "moved_out": waitInLobby(); break;
      case "translation_unavailable":  // said once per room: this room's messages stay in the original
        setNotice("translation", fmt(T.translation_no_pack, { source: langName(f.source), target: langName(f.lang) })); break;
      case "translation_busy": setNotice("translation", T.translation_busy, TTL.read); break;
      case "removed": case "banned": end(T.removed); setStatus(T.removed, "ended"); break;
      case "session_closed": setStatus(T.session_closed, "ended"); end(T.session_closed); break;
      case "session_paused": setStatus(T.session_paused, "paused"); setPaused(true); break;
      case "session_opened": case "session_resumed":
        setStatus(room ? T.connected : T.waiting, room ? "connected" : "waiting");
        if (block.paused) { setPaused(false); setNotice("paused", T.session_resumed, TTL.short); }
        break;
      case "slow_mode": setNotice("slow", f.seconds ? fmt(T.slow_mode, { seconds: f.seconds }) : ""); break;
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
  // Read the choice from the submit event, not from `close`: `close` is queued, so a keyboard user who reopens the
  // dialog at once can have the old dialog's `close` run after the new open and lose the report.
  els.reportForm.addEventListener("submit", (ev) => {
    if (ev.submitter && ev.submitter.value === "report" && reportTarget) {
      const frame = { type: "report", message_id: reportTarget, reason: els.reportReason.value };
      if (!send(frame)) unsentReports.push(frame);  // sent again once the socket is back (see flushOutbox)
    }
  });

  els.composer.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const text = els.input.value.trim();
    if (!text || !room || composerReason()) return;
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
    updateComposer(); attempt = 1;
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
