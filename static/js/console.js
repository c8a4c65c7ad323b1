// Facilitator console: rooms, students and participation kept live over /ws/watch (docs/facilitators.md).
// The page and stats.json give the state; every frame since changes it. User text via textContent only.
(function () {
  "use strict";
  const dataEl = document.getElementById("console-data");
  if (!dataEl) return;
  const boot = JSON.parse(dataEl.textContent);
  const CLOSE = JSON.parse(document.getElementById("protocol").textContent).close;  // close codes, by name
  const T = boot.t || {};
  const WORD = boot.statuses || {};
  const base = "/facilitate/" + boot.session;
  const $ = (id) => document.getElementById(id);
  const els = {
    rooms: $("rooms"), alert: $("console-alert"), conn: $("console-connection"), count: $("queue-count"),
    roomCount: $("room-count"), noRooms: $("no-rooms"), countries: document.querySelector("#country-stats tbody"),
    roomStats: document.querySelector("#room-stats tbody"), silentLine: $("silent-line"), silentNames: $("silent-names"),
    students: document.querySelector("#students tbody"), noStudents: $("no-students"), move: $("move-form"),
    moveWho: $("move-who"), moveTo: $("move-to"), sessionStatus: $("session-status"),
  };
  const SESSION_EVENTS = { session_opened: "live", session_paused: "paused", session_resumed: "live", session_closed: "closed" };
  const ZERO = Object.freeze({ messages: 0, words: 0, translated: 0 });
  const MAX_CLOSED_CARDS = 12;
  let attempt = 0;
  let socket = null;

  // -- the model: the last snapshot (page or stats.json) plus every frame since ------------------------
  const students = new Map();    // id -> {id, name, country, status, room, muted_until, erased}
  const rooms = new Map();       // id -> {id, slow_mode, closed}
  const reconnecting = new Set(); // paired students whose socket dropped (presence "reconnecting")
  const changed = new Map();     // "s<id>" / "r<id>" -> when a frame changed it; a snapshot asked for earlier keeps it
  const counted = new Map();     // message id -> {room, pid, words} counted from frames since the snapshot
  let tallies = new Map();       // student id -> {messages, words, translated}
  let roomTallies = new Map();   // "room:student" -> {messages, words}
  let countedUpTo = 0;           // the snapshot's last_message_id: it counted every delivered message up to it

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
  const byId = (a, b) => a.id - b.id;
  const byName = (a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.id - b.id);
  const label = (s) => s.name + " · " + s.country;
  // Times in the school's zone and the page's language, with the digits the server's Babel dates use.
  function clock(ts) {
    const opts = { hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: boot.tz };
    try { return new Date(ts).toLocaleTimeString(document.documentElement.lang + "-u-nu-latn", opts); }
    catch (e) { return new Date(ts).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }); }
  }
  // A mute matters while the student can still write: not after they left or were removed (as app/console.py).
  const IN_SESSION = ["away", "waiting", "paired"];
  const mutedNow = (s) => IN_SESSION.includes(s.status) && Boolean(s.muted_until) && Date.parse(s.muted_until) > Date.now();
  // Who is in which room now, worked out once per drawing (a session can have hundreds of students).
  let byRoom = new Map();
  function indexRooms() {
    byRoom = new Map();
    for (const s of students.values()) {
      if (s.status !== "paired" || !s.room) continue;
      if (!byRoom.has(s.room)) byRoom.set(s.room, []);
      byRoom.get(s.room).push(s);
    }
    for (const list of byRoom.values()) list.sort(byId);
  }
  const membersOf = (roomId) => byRoom.get(roomId) || [];
  // A room is open while anyone is in it (rooms/membership.py closes it when its last member goes).
  const isClosed = (room) => room.closed || membersOf(room.id).length === 0;
  const tallyOf = (map, key) => { let t = map.get(key); if (!t) { t = { messages: 0, words: 0, translated: 0 }; map.set(key, t); } return t; };

  function touch(key) { changed.set(key, performance.now()); }
  function roomRecord(id) {
    let room = rooms.get(id);
    if (!room) { room = { id: id, slow_mode: 0, closed: false }; rooms.set(id, room); }
    return room;
  }
  function upsertStudent(view) {
    students.set(view.id, Object.assign({}, students.get(view.id), view));
    touch("s" + view.id);
  }
  function roomOpened(view) {
    const room = roomRecord(view.id);
    room.slow_mode = Number(view.slow_mode) || 0;
    room.closed = false;
    touch("r" + view.id);
    for (const m of view.members || []) upsertStudent({ id: m.id, name: m.name, country: m.country, status: "paired", room: view.id });
  }

  // Figures count delivered chat messages only, words as str.split() counts them (app/participation.py).
  function words(text) { const t = String(text || "").trim(); return t ? t.split(/\s+/).length : 0; }
  function apply(c, sign) {
    const t = tallyOf(tallies, c.pid); t.messages += sign; t.words += sign * c.words;
    const r = tallyOf(roomTallies, c.room + ":" + c.pid); r.messages += sign; r.words += sign * c.words;
  }
  function countMessage(f) {
    if (f.kind !== "chat" || !f.from || f.id <= countedUpTo || counted.has(f.id)) return;
    const c = { room: f.room, pid: f.from.id, words: words(f.text) };
    counted.set(f.id, c);
    apply(c, 1);
  }
  function uncount(f) {
    const c = counted.get(f.id);
    if (c) apply(c, -1);
    if (f.id > countedUpTo) counted.set(f.id, null); // deleted for everyone: never counted again
  }

  function install(snapshot, askedAt) {
    const newer = (key) => (changed.get(key) || 0) > askedAt;
    tallies = new Map();
    roomTallies = new Map();
    for (const p of snapshot.participants) {
      if (!newer("s" + p.id)) {
        students.set(p.id, { id: p.id, name: p.name, country: p.country, status: p.status, room: p.room,
          muted_until: p.muted_until, erased: p.erased });
      }
      tallies.set(p.id, { messages: p.messages, words: p.words, translated: p.translated });
    }
    const open = new Set();
    for (const r of snapshot.rooms) {
      open.add(r.id);
      for (const m of r.members) roomTallies.set(r.id + ":" + m.id, { messages: m.messages, words: m.words, translated: 0 });
      if (newer("r" + r.id)) continue;
      const room = roomRecord(r.id);
      room.slow_mode = r.slow_mode;
      room.closed = false;
    }
    for (const room of rooms.values()) if (!open.has(room.id) && !newer("r" + room.id)) room.closed = true;
    countedUpTo = snapshot.last_message_id || 0;
    for (const [id, c] of counted) {
      if (id <= countedUpTo) counted.delete(id);
      else if (c) apply(c, 1);
    }
    render();
  }

  // -- drawing the model ------------------------------------------------------------------------------
  let drawTimer = null;
  let muteTimer = null;
  // Changes within a tenth of a second are drawn together, so a busy session costs one drawing, not one per frame.
  function render() {
    if (drawTimer === null) drawTimer = setTimeout(() => { drawTimer = null; draw(); }, 100);
  }
  function draw() {
    indexRooms();
    drawRooms();
    drawStudents();
    drawMoveForm();
    drawFigures();
    // Redraw when the next mute runs out, so "muted until" and Unmute go by themselves.
    const ends = [...students.values()].filter(mutedNow).map((s) => Date.parse(s.muted_until));
    clearTimeout(muteTimer);
    if (ends.length) muteTimer = setTimeout(render, Math.min(...ends) - Date.now() + 250);
  }

  // A copy of a server-rendered <template> (same markup and translations as the rows and cards it drew),
  // with its placeholder id replaced wherever an attribute names it.
  function fromTemplate(id, placeholder, value) {
    const node = $(id).content.firstElementChild.cloneNode(true);
    const swap = (n) => {
      for (const name of ["id", "for", "action", "href", "aria-labelledby", "data-room", "data-student"]) {
        const v = n.getAttribute(name);
        if (v && v.includes(placeholder)) n.setAttribute(name, v.split(placeholder).join(String(value)));
      }
    };
    swap(node);
    node.querySelectorAll("*").forEach(swap);
    return node;
  }

  function cardFor(roomId) {
    let card = els.rooms.querySelector('.room-card[data-room="' + roomId + '"]');
    if (card) return card;
    roomRecord(roomId);
    card = fromTemplate("room-template", "__ROOM__", roomId);
    els.rooms.appendChild(card);
    return card;
  }

  // Open rooms first, by number; then the last few closed ones (their conversation stays readable a while).
  function drawRooms() {
    const all = [...rooms.values()].sort(byId);
    const closedRooms = all.filter(isClosed);
    for (const room of closedRooms.slice(0, Math.max(0, closedRooms.length - MAX_CLOSED_CARDS))) {
      rooms.delete(room.id);
      const gone = els.rooms.querySelector('.room-card[data-room="' + room.id + '"]');
      if (gone) gone.remove();
    }
    const ordered = [...all.filter((r) => !isClosed(r)), ...closedRooms.slice(-MAX_CLOSED_CARDS)];
    let open = 0;
    ordered.forEach((room, i) => {
      const closed = isClosed(room);
      const card = cardFor(room.id);
      if (els.rooms.children[i] !== card) els.rooms.insertBefore(card, els.rooms.children[i] || null);
      if (!closed) {
        open += 1;
        card.querySelector(".room-members").textContent = membersOf(room.id).map(label).join(", ");
      }
      card.classList.toggle("closed", closed);
      card.querySelector("h3").textContent = fmt(closed ? T.room_closed : T.room, { room: room.id });
      card.querySelector(".room-controls").hidden = closed;
      const slow = card.querySelector(".slow-select");
      const value = String(room.slow_mode || 0);
      if (slow && document.activeElement !== slow && [...slow.options].some((o) => o.value === value)) slow.value = value;
    });
    els.roomCount.textContent = String(open);
    els.noRooms.hidden = open > 0;
  }

  const rowEls = new Map([...els.students.querySelectorAll("tr[data-student]")].map((r) => [Number(r.dataset.student), r]));
  function drawStudents() {
    let previous = null;
    for (const s of [...students.values()].sort(byName)) {
      let row = rowEls.get(s.id);
      if (!row) { row = fromTemplate("student-template", "__PID__", s.id); rowEls.set(s.id, row); }
      const placed = previous ? previous.nextElementSibling === row : els.students.firstElementChild === row;
      if (!placed) { if (previous) previous.after(row); else els.students.prepend(row); }
      row.querySelector(".student-name").textContent = label(s);
      let status = WORD[reconnecting.has(s.id) && s.status === "paired" ? "reconnecting" : s.status] || s.status;
      if (mutedNow(s)) status += " · " + fmt(T.muted_until, { time: clock(s.muted_until) });
      row.querySelector(".student-status").textContent = status;
      row.querySelector(".student-room").textContent = s.room ? String(s.room) : "–";
      const shown = { muted: mutedNow(s), "in-room": Boolean(s.room), "not-banned": s.status !== "banned", "not-erased": !s.erased };
      for (const form of row.querySelectorAll("[data-when]")) form.hidden = !shown[form.dataset.when];
      previous = row;
    }
    els.noStudents.hidden = students.size > 0;
  }

  function fill(select, options) {
    const key = JSON.stringify(options);
    if (select.dataset.key === key) return;
    select.dataset.key = key;
    const keep = select.value;
    select.replaceChildren(...options.map(([value, text]) => { const o = el("option", null, text); o.value = String(value); return o; }));
    if (options.some(([value]) => String(value) === keep)) select.value = keep;
  }

  function drawMoveForm() {
    if (!els.move) return;
    const open = [...rooms.values()].filter((r) => !isClosed(r)).sort(byId);
    els.move.hidden = open.length === 0;
    const movable = [...students.values()].filter((s) => s.status === "waiting" || s.status === "paired").sort(byName);
    fill(els.moveWho, movable.map((s) => [s.id, label(s) + (s.room ? " (" + fmt(T.in_room, { n: s.room }) + ")" : "")]));
    fill(els.moveTo, open.map((r) => [r.id, fmt(T.room, { room: r.id }) + ": " + membersOf(r.id).map((m) => m.name).join(", ")]));
  }

  function row(cells, cls) {
    const tr = el("tr", cls);
    for (const c of cells) {
      const td = el("td");
      if (c instanceof Node) td.appendChild(c); else td.textContent = String(c);
      tr.appendChild(td);
    }
    return tr;
  }
  const pct = (part, whole) => (whole ? Math.round((part / whole) * 100) : 0) + "%";

  // The same figures as app/participation.py, recomputed from the model on every change.
  function drawFigures() {
    const countries = new Map();
    const silent = [];
    for (const s of students.values()) {
      const t = tallies.get(s.id) || ZERO;
      const c = countries.get(s.country) || { country: s.country, participants: 0, messages: 0, words: 0, silent: 0, translated: 0 };
      c.participants += 1; c.messages += t.messages; c.words += t.words; c.translated += t.translated || 0;
      if (s.status === "paired" && t.messages === 0) { c.silent += 1; silent.push(s.name); }
      countries.set(s.country, c);
    }
    const allWords = [...countries.values()].reduce((n, c) => n + c.words, 0);
    els.countries.replaceChildren(...[...countries.values()].sort((a, b) => (a.country < b.country ? -1 : 1)).map((c) =>
      row([c.country, c.participants, c.messages, c.words, pct(c.words, allWords), c.silent, c.translated])));
    const rows = [];
    for (const room of [...rooms.values()].filter((r) => !isClosed(r)).sort(byId)) {
      const members = membersOf(room.id).map((s) => [s, roomTallies.get(room.id + ":" + s.id) || ZERO]);
      const roomWords = members.reduce((n, [, t]) => n + t.words, 0);
      for (const [s, t] of members) {
        const meter = el("meter"); meter.min = 0; meter.max = 1; meter.value = roomWords ? t.words / roomWords : 0;
        const share = el("span"); share.append(meter, " " + pct(t.words, roomWords));
        rows.push(row([room.id, userText("span", null, label(s)), t.messages, t.words, share], t.messages === 0 ? "silent" : ""));
      }
    }
    els.roomStats.replaceChildren(...rows);
    silent.sort();
    els.silentLine.hidden = silent.length === 0;
    els.silentNames.textContent = silent.join(", ");
  }

  // -- room messages ----------------------------------------------------------------------------------
  function renderMessage(f) {
    const list = cardFor(f.room).querySelector(".room-messages");
    if (list.querySelector('li[data-id="' + f.id + '"]')) return;
    const li = el("li", "msg" + (f.kind !== "chat" ? " system" : ""));
    li.dataset.id = f.id;
    const meta = el("p", "meta");
    const who = f.from ? label(f.from) : (f.kind === "prompt" ? T.prompt : T.announcement);
    meta.appendChild(f.from ? userText("span", null, who) : el("span", null, who));
    if (f.lang) meta.appendChild(el("span", null, f.lang));
    if (f.ts) meta.appendChild(el("time", null, clock(f.ts)));
    li.appendChild(meta);
    li.appendChild(userText("p", "text", f.text));
    li.appendChild(el("div", "translations"));
    list.appendChild(li);
    while (list.children.length > 200) list.firstElementChild.remove();
    list.scrollTop = list.scrollHeight;
  }

  function renderTranslation(f) {
    const li = els.rooms.querySelector('.room-card[data-room="' + f.room + '"] li[data-id="' + f.id + '"]');
    if (!li || !f.text) return;
    const box = li.querySelector(".translations");
    if (box.querySelector('[data-lang="' + f.lang + '"]')) return;
    const p = el("p", "translation");
    p.dataset.lang = f.lang;
    p.appendChild(el("span", "tr-label", f.source + " → " + f.lang));
    p.appendChild(userText("span", "tr-text", f.text));
    box.appendChild(p);
  }

  function markWithdrawn(f) {
    const li = els.rooms.querySelector('.room-card[data-room="' + f.room + '"] li[data-id="' + f.id + '"]');
    if (!li) return;
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
    node.querySelector(".device-new").textContent = label(f.participant);
    node.querySelector(".device-banned").textContent = banned;
    const form = node.querySelector("form");
    form.action = base + "/participants/" + Number(f.participant.id) + "/ban";
    const reason = form.querySelector('input[name="reason"]');
    reason.value = (reason.value + " (" + banned + ")").slice(0, 500);
    node.querySelector(".device-dismiss").addEventListener("click", () => node.remove());
    box.appendChild(node);
  }

  function onEvent(f) {
    if (f.event === "translation_unavailable" || f.event === "translation_busy") refreshTranslation();
    if (f.event === "room_closed" && f.room) { roomRecord(f.room).closed = true; touch("r" + f.room); }
    else if (f.event === "slow_mode" && f.room) { roomRecord(f.room).slow_mode = Number(f.seconds) || 0; touch("r" + f.room); }
    else if (SESSION_EVENTS[f.event] && els.sessionStatus) {
      const status = SESSION_EVENTS[f.event];
      els.sessionStatus.textContent = WORD[status] || status;
      els.sessionStatus.className = "badge status-" + status;
      if (status === "closed") for (const room of rooms.values()) { room.closed = true; touch("r" + room.id); }
    }
  }

  function onFrame(f) {
    switch (f.type) {
      case "watching": refreshStats(); break; // (re)connected: catch up on whatever changed meanwhile
      case "message": renderMessage(f); countMessage(f); break;
      case "translation": renderTranslation(f); break;
      case "withdrawn": markWithdrawn(f); uncount(f); break;
      case "student": if (f.student) upsertStudent(f.student); break;
      case "room_opened": if (f.room) roomOpened(f.room); break;
      case "presence":
        if (f.state === "reconnecting") reconnecting.add(f.participant); else reconnecting.delete(f.participant);
        break;
      case "event": onEvent(f); break;
      case "flagged":
        alertNow(fmt(T.flagged, { room: f.message ? f.message.room : "" }));
        setCount(Number(els.count.textContent || 0) + 1); refreshQueue(); break;
      case "report":
        alertNow(fmt(T.report, { room: f.report ? f.report.room : "" }));
        setCount(Number(els.count.textContent || 0) + 1); refreshQueue(); break;
      case "device_rejoin": deviceRejoin(f); break;
      default: return;
    }
    render();
  }

  // -- the watch socket and the snapshot it is checked against ----------------------------------------
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
      if (ev.code === CLOSE.auth_failed || ev.code === CLOSE.forbidden) return; // logged out or not allowed: reconnecting will not help
      attempt += 1;
      setTimeout(connect, Math.min(30000, 500 * 2 ** attempt) + Math.random() * 500);
    });
  }
  setInterval(() => { if (socket && socket.readyState === 1) socket.send('{"type":"ping"}'); }, 25000);

  // Frames keep everything current; the snapshot re-read now and then picks up what no frame carries
  // ("needed translation", moderated counts) and anything missed while the socket was down.
  async function refreshStats() {
    const askedAt = performance.now();
    try {
      const r = await fetch(base + "/stats.json", { headers: { Accept: "application/json" }, credentials: "same-origin" });
      if (r.ok) install(await r.json(), askedAt);
    } catch (e) { /* next poll retries */ }
  }

  // Confirmations for drastic actions, on every form that asks (rows and cards added later too; no inline
  // handlers: CSP).
  document.addEventListener("submit", (ev) => {
    const form = ev.target;
    if (form instanceof HTMLFormElement && form.dataset.confirm && !window.confirm(form.dataset.confirm)) ev.preventDefault();
  });

  // Translation health: one line per room card, text and state from /translation.json (polled, and at once when a
  // room is told that no pack serves it or that translation is busy).
  async function refreshTranslation() {
    try {
      const r = await fetch(base + "/translation.json", { headers: { Accept: "application/json" }, credentials: "same-origin" });
      if (!r.ok) return;
      for (const room of (await r.json()).rooms) {
        const card = els.rooms.querySelector('.room-card[data-room="' + Number(room.id) + '"]'); if (!card) continue;
        let line = card.querySelector(".tr-health");
        if (!line) { line = el("p", "help tr-health"); card.querySelector(".room-members").after(line); }
        line.dataset.state = room.state; line.textContent = room.text;
      }
    } catch (e) { /* the next poll retries */ }
  }

  install(boot.stats, -1);
  connect();
  setInterval(refreshStats, 15000);
  refreshTranslation();
  setInterval(refreshTranslation, 15000);
  setInterval(refreshQueue, 15000);
})();
