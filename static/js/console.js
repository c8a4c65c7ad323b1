// Facilitator console: live room view over /ws/watch, queue alerts, participation figures. User text via textContent only.
(function () {
  "use strict";
  const dataEl = document.getElementById("console-data");
  if (!dataEl) return;
  const boot = JSON.parse(dataEl.textContent);
  const T = boot.t || {};
  const base = "/facilitate/" + boot.session;
  const $ = (id) => document.getElementById(id);
  const els = {
    rooms: $("rooms"), alert: $("console-alert"), conn: $("console-connection"), count: $("queue-count"),
    roomCount: $("room-count"), countries: document.querySelector("#country-stats tbody"),
    roomStats: document.querySelector("#room-stats tbody"), silentLine: $("silent-line"), silentNames: $("silent-names"),
  };
  const cards = new Map();
  let attempt = 0;
  let socket = null;

  function fmt(text, vars) {
    return String(text || "").replace(/%\((\w+)\)s/g, (_, k) => (vars && k in vars ? String(vars[k]) : ""));
  }

  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }
  // Names, messages, prompts: written by people, in either direction; each isolated with dir="auto".
  function userText(tag, cls, text) { const node = el(tag, cls, text); node.dir = "auto"; return node; }

  // -- rooms ------------------------------------------------------------------------------------------
  for (const card of document.querySelectorAll(".room-card")) {
    cards.set(Number(card.dataset.room), card);
  }

  function cardFor(roomId, members) {
    let card = cards.get(roomId);
    if (card) return card;
    const none = $("no-rooms"); if (none) none.remove();
    card = el("article", "panel room-card");
    card.dataset.room = roomId;
    card.appendChild(el("h3", null, fmt(T.room, { room: roomId })));
    const names = (members || []).map((m) => m.name + " · " + m.country).join(", ");
    card.appendChild(userText("p", "help room-members", names));
    card.appendChild(el("ol", "messages room-messages"));
    card.appendChild(el("p", "help", fmt(T.new_room, { room: roomId })));
    els.rooms.appendChild(card);
    cards.set(roomId, card);
    if (els.roomCount) els.roomCount.textContent = String(cards.size);
    return card;
  }

  function renderMessage(f) {
    const card = cardFor(f.room);
    const list = card.querySelector(".room-messages");
    if (list.querySelector('li[data-id="' + f.id + '"]')) return;
    const li = el("li", "msg" + (f.kind !== "chat" ? " system" : ""));
    li.dataset.id = f.id;
    const meta = el("p", "meta");
    const who = f.from ? f.from.name + " · " + f.from.country : (f.kind === "prompt" ? T.prompt : T.announcement);
    meta.appendChild(f.from ? userText("span", null, who) : el("span", null, who));
    if (f.lang) meta.appendChild(el("span", null, f.lang));
    if (f.ts) meta.appendChild(el("time", null, new Date(f.ts).toLocaleTimeString()));
    li.appendChild(meta);
    li.appendChild(userText("p", "text", f.text));
    li.appendChild(el("div", "translations"));
    list.appendChild(li);
    while (list.children.length > 200) list.firstElementChild.remove();
    list.scrollTop = list.scrollHeight;
  }

  function renderTranslation(f) {
    const card = cards.get(f.room); if (!card) return;
    const li = card.querySelector('li[data-id="' + f.id + '"]'); if (!li || !f.text) return;
    const box = li.querySelector(".translations");
    if (box.querySelector('[data-lang="' + f.lang + '"]')) return;
    const p = el("p", "translation");
    p.dataset.lang = f.lang;
    p.appendChild(el("span", "tr-label", f.source + " → " + f.lang));
    p.appendChild(userText("span", "tr-text", f.text));
    box.appendChild(p);
  }

  function markWithdrawn(f) {
    const card = cards.get(f.room); if (!card) return;
    const li = card.querySelector('li[data-id="' + f.id + '"]'); if (!li) return;
    li.classList.add("withdrawn");
    li.querySelector(".text").textContent = T.withdrawn;
    li.querySelector(".translations").replaceChildren();
  }

  // -- alerts and the queue counter -------------------------------------------------------------------
  function alertNow(text) {
    els.alert.hidden = false;
    els.alert.textContent = text;
  }

  function setCount(n) {
    if (!els.count) return;
    els.count.textContent = String(n);
    els.count.classList.toggle("alert-badge", n > 0);
  }

  async function refreshQueue() {
    try {
      const r = await fetch(base + "/queue.json", { headers: { Accept: "application/json" }, credentials: "same-origin" });
      if (r.ok) setCount((await r.json()).count);
    } catch (e) { /* next poll retries */ }
  }

  // A browser banned in this session joined again (frame device_rejoin): offer to refuse the newcomer.
  function deviceRejoin(f) {
    const tpl = $("device-rejoin-template"); const box = $("device-alerts");
    if (!tpl || !box || !f.participant) return;
    const node = tpl.content.firstElementChild.cloneNode(true);
    const banned = (f.banned_as || []).map((b) => b.name).join(", ");
    node.querySelector(".device-new").textContent = f.participant.name + " · " + f.participant.country;
    node.querySelector(".device-banned").textContent = banned;
    const form = node.querySelector("form");
    form.action = base + "/participants/" + Number(f.participant.id) + "/ban";
    const reason = form.querySelector('input[name="reason"]');
    reason.value = (reason.value + " (" + banned + ")").slice(0, 500);
    form.addEventListener("submit", (ev) => { if (!window.confirm(form.dataset.confirm)) ev.preventDefault(); });
    node.querySelector(".device-dismiss").addEventListener("click", () => node.remove());
    box.appendChild(node);
  }

  function onFrame(f) {
    switch (f.type) {
      case "message": renderMessage(f); break;
      case "translation": renderTranslation(f); break;
      case "withdrawn": markWithdrawn(f); break;
      case "flagged":
        alertNow(fmt(T.flagged, { room: f.message ? f.message.room : "" }));
        setCount(Number(els.count.textContent || 0) + 1); refreshQueue(); break;
      case "report":
        alertNow(fmt(T.report, { room: f.report ? f.report.room : "" }));
        setCount(Number(els.count.textContent || 0) + 1); refreshQueue(); break;
      case "device_rejoin": deviceRejoin(f); break;
      case "room_opened": if (f.room) cardFor(f.room.id, f.room.members); break;
      case "event":
        if (f.event === "room_closed" && cards.has(f.room)) cards.get(f.room).classList.add("closed");
        if (f.event === "translation_unavailable" || f.event === "translation_busy") refreshTranslation();
        break;
      default: break;
    }
  }

  // -- the watch socket -------------------------------------------------------------------------------
  function connect() {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + location.host + "/ws/watch?session=" + boot.session);
    socket.addEventListener("open", () => { attempt = 0; els.conn.textContent = T.live; });
    socket.addEventListener("message", (ev) => {
      let f; try { f = JSON.parse(ev.data); } catch (e) { return; }
      onFrame(f);
    });
    socket.addEventListener("close", (ev) => {
      els.conn.textContent = T.offline;
      if (ev.code === 4001 || ev.code === 4003) return; // logged out or not allowed: reconnecting will not help
      attempt += 1;
      setTimeout(connect, Math.min(30000, 500 * 2 ** attempt) + Math.random() * 500);
    });
  }
  setInterval(() => { if (socket && socket.readyState === 1) socket.send('{"type":"ping"}'); }, 25000);

  // -- participation figures --------------------------------------------------------------------------
  function row(cells, cls) {
    const tr = el("tr", cls);
    for (const c of cells) {
      const td = el("td");
      if (c instanceof Node) td.appendChild(c); else td.textContent = String(c);
      tr.appendChild(td);
    }
    return tr;
  }
  const pct = (x) => Math.round(x * 100) + "%";

  async function refreshStats() {
    try {
      const r = await fetch(base + "/stats.json", { headers: { Accept: "application/json" }, credentials: "same-origin" });
      if (!r.ok) return;
      const s = await r.json();
      els.countries.replaceChildren(...s.countries.map((c) =>
        row([c.country, c.participants, c.messages, c.words, pct(c.share), c.silent, c.translated])));
      const rows = [];
      for (const room of s.rooms) {
        for (const m of room.members) {
          const meter = el("meter"); meter.min = 0; meter.max = 1; meter.value = m.share;
          const share = el("span"); share.append(meter, " " + pct(m.share));
          rows.push(row([room.id, userText("span", null, m.name + " · " + m.country), m.messages, m.words, share], m.silent ? "silent" : ""));
        }
      }
      els.roomStats.replaceChildren(...rows);
      els.silentLine.hidden = s.silent.length === 0;
      els.silentNames.textContent = s.silent.join(", ");
    } catch (e) { /* next poll retries */ }
  }

  // -- translation health: one line per room card, text and state from /translation.json ------------------
  async function refreshTranslation() {
    try {
      const r = await fetch(base + "/translation.json", { headers: { Accept: "application/json" }, credentials: "same-origin" });
      if (!r.ok) return;
      for (const room of (await r.json()).rooms) {
        const card = cards.get(room.id); if (!card) continue;
        let line = card.querySelector(".tr-health");
        if (!line) { line = el("p", "help tr-health"); card.querySelector(".room-members").after(line); }
        line.dataset.state = room.state; line.textContent = room.text;
      }
    } catch (e) { /* next poll retries */ }
  }

  // -- confirmations for drastic actions (no inline handlers: CSP) ------------------------------------
  for (const form of document.querySelectorAll("form[data-confirm]")) {
    form.addEventListener("submit", (ev) => { if (!window.confirm(form.dataset.confirm)) ev.preventDefault(); });
  }

  connect();
  refreshStats();
  refreshTranslation();
  setInterval(refreshStats, 5000);
  setInterval(refreshTranslation, 5000);
  setInterval(refreshQueue, 15000);
})();
