// quotecast stock screen: the reference browser client of the WebSocket API (docs/websocket-api.md,
// docs/web.md). Plain JavaScript, no dependencies. Messages only change state and mark what is dirty;
// one requestAnimationFrame callback writes the DOM, so thousands of updates a second cost one
// layout per frame.
"use strict";

// ---------------------------------------------------------------------------------------------
// Settings, URL and storage
// ---------------------------------------------------------------------------------------------
const params = new URLSearchParams(location.search);
const token = params.get("access_token");
const STORE = "quotecast.watchlist", COLOURS = "quotecast.colours";
const DEFAULT_COUNT = 12, TAPE_MAX = 50, SPARK_POINTS = 390;
const INTERVALS = { "1s": 1e9, "1m": 60e9, "5m": 300e9 };
const $ = id => document.getElementById(id);

/** Canonical symbol: the API takes symbols case-insensitively and answers in upper case. */
const canon = s => s.trim().toUpperCase();

// ---------------------------------------------------------------------------------------------
// State
// ---------------------------------------------------------------------------------------------
const state = {
  list: [],                 // watchlist symbols, in order
  inst: new Map(),          // symbol → instrument state
  selected: null,
  conn: "connecting",       // connecting | live | reconnecting | delayed
  retryAt: 0,
  delayedUntil: 0,
  gaps: 0,
  updates: 0,
  kind: "line",
  interval: "1m",
  resumes: { asked: 0, recovered: 0 },   // symbols asked back with since, and those the server replayed
  channels: false,                       // the server answers with channels (issue 19's API)
};

function instrument(sym) {
  let s = state.inst.get(sym);
  if (!s) {
    s = { sym, unknown: false, market: null, decimals: null, name: "", ename: "", status: "", vi: null,
          bids: [], asks: [], last: null, lastSize: null, volume: null, value: null, trades: null,
          reference: null, change: null, pct: null, sign: null, open: null, high: null, low: null,
          upper: null, lower: null, indicative: null, seq: null, chained: false,
          tape: [], bars: { "1s": [], "1m": [], "5m": [] }, fromServer: {}, flash: 0, lastShown: null };
    state.inst.set(sym, s);
  }
  return s;
}

// Dirty marks: the frame callback renders only these.
const dirty = { rows: new Set(), list: true, detail: true, book: true, tape: true, chart: true, conn: true };
let frameQueued = false;
function touch(sym, what) {
  dirty.rows.add(sym);
  if (sym === state.selected) for (const w of what) dirty[w] = true;
  queueFrame();
}
function queueFrame() {
  if (!frameQueued) { frameQueued = true; requestAnimationFrame(render); }
}

// ---------------------------------------------------------------------------------------------
// Number formatting: prices keep the instrument's decimals; sizes and volumes get separators,
// or are abbreviated (1.2K, 3.4M) where space is short.
// ---------------------------------------------------------------------------------------------
function group(intText) {
  const neg = intText.startsWith("-");
  const digits = neg ? intText.slice(1) : intText;
  let out = "";
  for (let i = 0; i < digits.length; i++) {
    if (i > 0 && (digits.length - i) % 3 === 0) out += ",";
    out += digits[i];
  }
  return (neg ? "-" : "") + out;
}
/** A decimal string from the API ("71000", "189.2600"), with separators. */
function price(text) {
  if (text === null || text === undefined) return "—";
  const [i, f] = String(text).split(".");
  return f === undefined ? group(i) : group(i) + "." + f;
}
function signed(text) {
  if (text === null || text === undefined) return "";
  const t = String(text);
  return t.startsWith("-") ? "−" + price(t.slice(1)) : (/^0*\.?0*$/.test(t) ? price(t) : "+" + price(t));
}
function size(n) { return n === null || n === undefined ? "—" : group(String(Math.round(n))); }
function abbrev(n) {
  if (n === null || n === undefined || isNaN(n)) return "—";
  const a = Math.abs(n);
  for (const [d, u] of [[1e12, "T"], [1e9, "B"], [1e6, "M"], [1e3, "K"]]) {
    if (a >= d) return (n / d).toFixed(a / d >= 100 ? 0 : a / d >= 10 ? 1 : 2) + u;
  }
  return String(Math.round(n));
}
function clock(ts) {
  if (typeof ts !== "number") return "";
  const s = Math.floor(ts / 1e9), p = n => String(n).padStart(2, "0");
  return p(Math.floor(s / 3600) % 24) + ":" + p(Math.floor(s / 60) % 60) + ":" + p(s % 60);
}
/** The price text of a number at the instrument's decimals (for chart axes and the spread). */
function fixed(s, x) { return price(x.toFixed(s.decimals ?? 2)); }
function direction(sign) {
  return sign === "up" || sign === "upper_limit" ? "up" : sign === "down" || sign === "lower_limit" ? "down" : "";
}
function decimalsOf(text) { const f = String(text).split(".")[1]; return f ? f.length : 0; }

// ---------------------------------------------------------------------------------------------
// Applying messages
// ---------------------------------------------------------------------------------------------
function applyInstrument(s, i) {
  if (!i) return;
  s.market = i.market ?? s.market;
  if (typeof i.decimals === "number") s.decimals = i.decimals;
  if (i.reference !== undefined && i.reference !== null) s.reference = i.reference;
  s.upper = i.upper_limit ?? null; s.lower = i.lower_limit ?? null;
  if (i.name) s.name = i.name;
  if (i.english_name) s.ename = i.english_name;
}
function applyStats(s, m) {
  for (const [k, f] of [["reference", "reference"], ["change", "change"], ["change_pct", "pct"], ["open", "open"],
                        ["high", "high"], ["low", "low"], ["value", "value"], ["trades", "trades"], ["volume", "volume"]]) {
    if (m[k] !== undefined) s[f] = m[k];
  }
  if (m.change !== undefined) s.sign = m.sign ?? null;
}
function setLast(s, p) {
  if (s.last !== null && p !== s.last) s.flash = parseFloat(p) > parseFloat(s.last) ? 1 : -1;
  s.last = p;
  if (s.decimals === null) s.decimals = decimalsOf(p);
}
/** change, change % and sign from last and the reference, as the API computes them. */
function derive(s) {
  if (s.last === null || s.reference === null) return;
  const last = parseFloat(s.last), ref = parseFloat(s.reference), d = s.decimals ?? decimalsOf(s.last);
  const change = last - ref;
  s.change = change.toFixed(d);
  s.pct = ref !== 0 ? (change / ref * 100).toFixed(2) : null;
  if (s.upper !== null && last >= parseFloat(s.upper)) s.sign = "upper_limit";
  else if (s.lower !== null && last <= parseFloat(s.lower)) s.sign = "lower_limit";
  else s.sign = change > 0 ? "up" : change < 0 ? "down" : "unchanged";
}
function addTrade(s, t, live) {
  s.tape.push({ ts: t.ts, price: t.price, size: t.size, side: t.side });
  if (s.tape.length > TAPE_MAX * 2) s.tape.splice(0, s.tape.length - TAPE_MAX);
  if (!live) return;
  for (const iv of Object.keys(INTERVALS)) if (!s.fromServer[iv]) barFromTrade(s.bars[iv], INTERVALS[iv], t);
}
function barFromTrade(bars, width, t) {
  if (typeof t.ts !== "number") return;
  const start = Math.floor(t.ts / width) * width, p = parseFloat(t.price);
  const b = bars[bars.length - 1];
  if (b && b.t === start) {
    b.h = Math.max(b.h, p); b.l = Math.min(b.l, p); b.c = p; b.v += t.size; b.n += 1;
  } else if (!b || start > b.t) {
    bars.push({ t: start, o: p, h: p, l: p, c: p, v: t.size, n: 1 });
    if (bars.length > 1000) bars.splice(0, bars.length - 1000);
  }
}
function barFromCandle(c) {
  return { t: c.t, o: parseFloat(c.o), h: parseFloat(c.h), l: parseFloat(c.l), c: parseFloat(c.c), v: c.v, n: c.n };
}
function putCandle(bars, c) {
  const b = barFromCandle(c);
  const i = bars.length - 1;
  if (i >= 0 && bars[i].t === b.t) bars[i] = b;
  else if (i < 0 || b.t > bars[i].t) bars.push(b);
  else { const j = bars.findIndex(x => x.t >= b.t); if (bars[j].t === b.t) bars[j] = b; else bars.splice(j, 0, b); }
}

/** The chain (`prev`): a message whose prev is not the seq we hold means we missed something. */
function chainBroken(s, m) {
  if (m.prev === undefined || !s.chained) return false;
  return m.prev !== s.seq;
}

function onMessage(m) {
  state.updates++;
  const sym = m.symbol;
  switch (m.type) {
    case "subscribed":
      for (const x of m.symbols || []) { const s = state.inst.get(x); if (s) { s.unknown = false; dirty.rows.add(x); } }
      if (Array.isArray(m.channels)) state.channels = true;
      if (m.recovered) {
        for (const ok of Object.values(m.recovered)) { state.resumes.asked++; if (ok) state.resumes.recovered++; }
      }
      return;
    case "error":
      if (m.code === "unknown_symbol" || m.code === "not_entitled") {
        for (const x of m.symbols || []) {
          const s = state.inst.get(canon(x));
          if (s) { s.unknown = m.code; touch(s.sym, ["detail", "chart"]); }
        }
      } else {
        console.warn("quotecast:", m.code, m.message);
      }
      return;
    case "gap": {
      const s = instrument(sym);
      noteGap(s, `gap: ${m.from}–${m.to} not delivered`);
      s.chained = false;
      return;
    }
    case "pong": case "unsubscribed": case "authenticated": case "token_expiring":
      return;
  }
  if (!sym || !state.inst.has(sym)) return;
  const s = state.inst.get(sym);
  if (chainBroken(s, m)) {
    noteGap(s, `gap: expected prev ${s.seq}, got ${m.prev}`);
    s.chained = false;   // no more checks until the fresh snapshot
    queueResync(sym);
    return;
  }
  switch (m.type) {
    case "snapshot":
      applyInstrument(s, m.instrument);
      s.status = m.status; s.vi = m.vi ?? null;
      s.bids = m.bids || []; s.asks = m.asks || [];
      s.indicative = m.indicative ?? null;
      if (m.last) { setLast(s, m.last.price); s.lastSize = m.last.size; } else { s.last = null; }
      s.volume = m.volume ?? null;
      applyStats(s, m);
      s.flash = 0;
      s.chained = true;
      touch(sym, ["detail", "book", "chart"]);
      break;
    case "quote":
      s.bids = m.bids || []; s.asks = m.asks || [];
      s.indicative = m.indicative ?? null;
      if (m.conflated) state.delayedUntil = performance.now() + 3000, dirty.conn = true;
      touch(sym, ["book", "detail"]);
      break;
    case "trade":
      setLast(s, m.price); s.lastSize = m.size;
      s.volume = (s.volume ?? 0) + m.size;
      if (s.trades !== null) s.trades += 1;
      const p = parseFloat(m.price);
      if (s.high === null || p > parseFloat(s.high)) s.high = m.price;
      if (s.low === null || p < parseFloat(s.low)) s.low = m.price;
      if (s.open === null) s.open = m.price;
      if (s.value !== null) s.value = String(parseFloat(s.value) + p * m.size);
      derive(s);
      addTrade(s, m, true);
      touch(sym, ["detail", "tape", "chart"]);
      break;
    case "trades":
      s.tape = (m.trades || []).map(t => ({ ts: t.ts, price: t.price, size: t.size, side: t.side }));
      touch(sym, ["tape"]);
      break;
    case "stats":
      s.status = m.status ?? s.status;
      if (m.last !== undefined && m.last !== null) setLast(s, m.last);
      applyStats(s, m);
      touch(sym, ["detail"]);
      break;
    case "candles":
      if (INTERVALS[m.interval]) {
        s.fromServer[m.interval] = true;
        s.bars[m.interval] = (m.candles || []).map(barFromCandle);
        touch(sym, ["chart"]);
      }
      break;
    case "candle":
      if (INTERVALS[m.interval]) {
        if (!s.fromServer[m.interval]) { s.fromServer[m.interval] = true; s.bars[m.interval] = []; }
        putCandle(s.bars[m.interval], m);
        touch(sym, ["chart"]);
      }
      break;
    case "status":
      s.status = m.status; s.vi = m.vi ?? null;
      if (m.status !== "auction" && m.status !== "vi") s.indicative = null;
      touch(sym, ["detail"]);
      break;
    case "instrument":
      applyInstrument(s, m); derive(s);
      touch(sym, ["detail", "chart"]);
      break;
    case "trade_break":
      s.tape.push({ gap: `trade ${m.match} broken` });
      touch(sym, ["tape"]);
      break;
    default:
      return;
  }
  if (typeof m.seq === "number") s.seq = m.seq;
}

function noteGap(s, text) {
  state.gaps++;
  s.tape.push({ gap: text });
  touch(s.sym, ["tape"]);
  $("gaps").textContent = state.gaps === 1 ? "1 gap" : state.gaps + " gaps";
}

// ---------------------------------------------------------------------------------------------
// The connection: subscribe, resume, reconnect with backoff (and a countdown on screen)
// ---------------------------------------------------------------------------------------------
let ws = null, backoff = 500, retryTimer = 0;
const WATCH_CHANNELS = ["quote", "trade", "status", "stats", "candle:1m"];
const SELECTED_CHANNELS = ["quote", "trade", "status", "stats", "candle:1s", "candle:1m", "candle:5m"];

function subscribeMessages(symbols) {
  const out = [], plain = symbols.filter(x => x !== state.selected);
  const since = syms => {
    const o = {};
    for (const x of syms) { const s = state.inst.get(x); if (s && s.chained && typeof s.seq === "number") o[x] = s.seq; }
    return Object.keys(o).length ? { since: o } : {};
  };
  if (plain.length) out.push({ op: "subscribe", id: "watch", symbols: plain, channels: WATCH_CHANNELS, depth: 1, ...since(plain) });
  if (symbols.includes(state.selected)) {
    out.push({ op: "subscribe", id: "selected", symbols: [state.selected], channels: SELECTED_CHANNELS, depth: 10, ...since([state.selected]) });
  }
  return out;
}
// Symbols whose chain broke are resubscribed together, at most once a second: a server whose chain
// keeps breaking must not be flooded with subscribes (it answers rate_limited, then closes 1008).
const resyncing = new Set();
let resyncTimer = 0;
function queueResync(sym) {
  resyncing.add(sym);
  if (resyncTimer) return;
  resyncTimer = setTimeout(() => {
    resyncTimer = 0;
    const symbols = [...resyncing].filter(x => state.list.includes(x));
    resyncing.clear();
    if (symbols.length) resubscribe(symbols);
  }, 1000);
}
function send(msg) { if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(msg)); }
function resubscribe(symbols) {
  for (const x of symbols) { const s = state.inst.get(x); if (s) s.chained = false; }
  for (const m of subscribeMessages(symbols)) send(m);
}

function connect() {
  clearTimeout(retryTimer);
  const url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/v1/stream";
  const socket = token ? new WebSocket(url, ["quotecast.v1", "bearer." + token]) : new WebSocket(url);
  ws = socket;
  socket.onopen = () => {
    backoff = 500;
    setConn("live");
    for (const m of subscribeMessages(state.list)) send(m);
  };
  socket.onmessage = e => {
    let m;
    try { m = JSON.parse(e.data); } catch { return; }
    onMessage(m);
  };
  socket.onclose = () => {
    if (ws !== socket) return;
    ws = null;
    const wait = backoff + Math.floor(Math.random() * backoff / 2);
    backoff = Math.min(backoff * 2, 10000);
    state.retryAt = performance.now() + wait;
    setConn("reconnecting");
    retryTimer = setTimeout(connect, wait);
  };
}
function setConn(c) { state.conn = c; dirty.conn = true; queueFrame(); }
setInterval(() => { if (state.conn === "reconnecting" || state.delayedUntil) { dirty.conn = true; queueFrame(); } }, 250);

// ---------------------------------------------------------------------------------------------
// Watchlist: add, remove, select, kept in the URL and in local storage
// ---------------------------------------------------------------------------------------------
function save() {
  try { localStorage.setItem(STORE, JSON.stringify(state.list)); } catch { /* private mode */ }
  const p = new URLSearchParams(location.search);
  p.set("symbols", state.list.join(","));
  history.replaceState(null, "", location.pathname + "?" + p.toString().replace(/%2C/g, ","));
}
function add(sym, select) {
  sym = canon(sym);
  if (!sym) return;
  if (!state.list.includes(sym)) {
    state.list.push(sym);
    instrument(sym);
    dirty.list = true;
    save();
    if (!select) resubscribe([sym]);
  }
  if (select) selectSymbol(sym);
  queueFrame();
}
function remove(sym) {
  const i = state.list.indexOf(sym);
  if (i < 0) return;
  state.list.splice(i, 1);
  send({ op: "unsubscribe", symbols: [sym] });
  state.inst.delete(sym);
  dirty.list = true;
  save();
  if (state.selected === sym) selectSymbol(state.list[Math.min(i, state.list.length - 1)] ?? null);
  queueFrame();
}
function selectSymbol(sym) {
  const before = state.selected;
  state.selected = sym;
  if (before && before !== sym && state.list.includes(before)) resubscribe([before]);
  if (sym && sym !== before) resubscribe([sym]);
  for (const w of ["detail", "book", "tape", "chart"]) dirty[w] = true;
  dirty.list = true;
  queueFrame();
}

// ---------------------------------------------------------------------------------------------
// Rendering (one frame at a time)
// ---------------------------------------------------------------------------------------------
const rows = new Map();   // symbol → { li, last, pct, chg, spark, ... }

function marketClass(s) { return s && s.market === "krx" ? "krx" : "us"; }

function buildRow(sym) {
  const li = document.createElement("li");
  li.className = "row"; li.dataset.sym = sym; li.tabIndex = -1; li.setAttribute("role", "option");
  li.innerHTML = '<span class="id"><span class="sym"></span><span class="nm"></span></span><canvas width="128" height="52" aria-hidden="true"></canvas>' +
                 '<span class="q"><span class="last">—</span><span class="pct"></span></span>' +
                 '<button class="rm" type="button" tabindex="-1">✕</button>';
  const r = { li, sym: li.querySelector(".sym"), nm: li.querySelector(".nm"), last: li.querySelector(".last"),
              pct: li.querySelector(".pct"), spark: li.querySelector("canvas"), sparkAt: 0, flip: false, flashAt: -1e9 };
  r.sym.textContent = sym;
  r.li.querySelector(".rm").setAttribute("aria-label", "Remove " + sym);
  rows.set(sym, r);
  return r;
}

function renderList() {
  const ul = $("watchlist");
  const wanted = new Set(state.list);
  for (const [sym, r] of rows) if (!wanted.has(sym)) { r.li.remove(); rows.delete(sym); }
  state.list.forEach((sym, i) => {
    const r = rows.get(sym) || buildRow(sym);
    if (ul.children[i] !== r.li) ul.insertBefore(r.li, ul.children[i] || null);
    const sel = sym === state.selected;
    r.li.setAttribute("aria-selected", sel ? "true" : "false");
    r.li.tabIndex = sel || (!state.selected && i === 0) ? 0 : -1;
    dirty.rows.add(sym);
  });
  $("watch-count").textContent = state.list.length ? String(state.list.length) : "";
}

/** Writes only what differs from what the element shows: no style work for unchanged rows. */
function write(r, key, el, prop, value) {
  if (r[key] !== value) { r[key] = value; el[prop] = value; }
}

function renderRow(sym, now) {
  const r = rows.get(sym), s = state.inst.get(sym);
  if (!r || !s) return;
  write(r, "_cls", r.li, "className", "row " + marketClass(s) + (s.unknown ? " unknown" : "") + (s.status === "stale" ? " stale" : ""));
  write(r, "_nm", r.nm, "textContent", s.unknown ? (s.unknown === "not_entitled" ? "not entitled" : "unknown symbol")
    : s.name || s.ename || (s.volume ? "vol " + abbrev(s.volume) : ""));
  const dir = direction(s.sign);
  // The price keeps its colour against the reference; a change flashes it briefly (two animation
  // names, so each change restarts the animation without a forced layout).
  if (s.flash) { r.flip = !r.flip; r.flashAt = now; s.flash = 0; }
  write(r, "_last", r.last, "textContent", price(s.last));
  write(r, "_lcls", r.last, "className", "last " + dir + (now - r.flashAt < 500 ? (r.flip ? " flash-a" : " flash-b") : ""));
  write(r, "_pct", r.pct, "textContent", s.pct !== null ? signed(s.pct) + "%" : s.status && s.status !== "trading" ? STATUS_TEXT[s.status] || s.status : "—");
  write(r, "_pcls", r.pct, "className", "pct " + dir);
  if (now - r.sparkAt > 1000) { r.sparkAt = now; drawSpark(r.spark, s); }
}

function badge(text, cls) { return `<span class="badge ${cls}">${text}</span>`; }
const STATUS_TEXT = { trading: "trading", halted: "halted", paused: "paused", quotation: "quotation", auction: "auction",
                      vi: "VI", closed: "closed", stale: "stale", unknown: "no status" };

function setText(id, text) { const el = $(id); if (el.textContent !== text) el.textContent = text; }

function renderDetail() {
  const s = state.selected ? state.inst.get(state.selected) : null;
  const box = $("detail");
  box.className = "detail panel " + marketClass(s);
  document.querySelector(".book").className = "book panel " + marketClass(s);
  document.querySelector(".tape").className = "tape panel " + marketClass(s);
  setText("d-symbol", s ? s.sym : "—");
  setText("d-name", s ? (s.unknown ? "unknown symbol" : [s.name, s.ename].filter(Boolean).join(" · ")) : "");
  let badges = "";
  if (s && s.status) {
    const vi = s.status === "vi" && s.vi ? "VI " + s.vi : STATUS_TEXT[s.status] || s.status;
    badges += badge(vi, s.status);
  }
  if (s && s.market) badges += badge(s.market, "mkt");
  if ($("d-badges").innerHTML !== badges) $("d-badges").innerHTML = badges;
  const dir = s ? direction(s.sign) : "";
  const last = $("d-last");
  const text = s ? price(s.last) : "—";
  if (last.textContent !== text) {
    last.textContent = text;
    last.classList.toggle("flash-a"); last.classList.toggle("flash-b", !last.classList.contains("flash-a"));
  }
  last.classList.toggle("up", dir === "up"); last.classList.toggle("down", dir === "down");
  setText("d-change", s && s.change !== null ? `${signed(s.change)}  (${signed(s.pct)}%)` : "");
  $("d-change").className = "chg " + dir;
  const est = $("d-est");
  if (s && s.indicative && s.indicative.price !== null) {
    est.hidden = false;
    est.textContent = `Estimated ${price(s.indicative.price)} · ${size(s.indicative.volume)} shares (${s.status === "vi" ? "VI auction" : "call auction"})`;
  } else est.hidden = true;
  setText("d-open", s ? price(s.open) : "—");
  setText("d-high", s ? price(s.high) : "—");
  setText("d-low", s ? price(s.low) : "—");
  setText("d-ref-label", s && s.market === "krx" ? "Base price" : "Prev close");
  setText("d-ref", s ? price(s.reference) : "—");
  setText("d-volume", s ? size(s.volume) : "—");
  setText("d-value", s && s.value !== null ? abbrev(parseFloat(s.value)) : "—");
  setText("d-trades", s && s.trades !== null ? size(s.trades) : "—");
  const lo = s ? parseFloat(s.low) : NaN, hi = s ? parseFloat(s.high) : NaN, l = s ? parseFloat(s.last) : NaN;
  $("d-range").style.left = hi > lo ? ((l - lo) / (hi - lo) * 100).toFixed(1) + "%" : "50%";
  document.title = s && s.last ? `${s.sym} ${price(s.last)} ${signed(s.pct)}% — quotecast` : "quotecast — stock screen";
}

let ladderRows = null;
function renderBook() {
  const s = state.selected ? state.inst.get(state.selected) : null;
  const box = $("ladder");
  if (!ladderRows) {
    ladderRows = [];
    for (let i = 0; i < 21; i++) {
      const div = document.createElement("div");
      div.className = "lv " + (i < 10 ? "ask" : i === 10 ? "mid" : "bid");
      div.setAttribute("role", "row");
      div.innerHTML = '<span class="as" role="cell"><i class="bar"></i><span class="n"></span></span><span class="p" role="cell"></span>' +
                      '<span class="bs" role="cell"><i class="bar"></i><span class="n"></span></span>';
      box.appendChild(div);
      ladderRows.push({ div, as: div.querySelector(".as .n"), ab: div.querySelector(".as .bar"), p: div.querySelector(".p"),
                        bs: div.querySelector(".bs .n"), bb: div.querySelector(".bs .bar") });
    }
  }
  const asks = s ? s.asks.slice(0, 10) : [], bids = s ? s.bids.slice(0, 10) : [];
  let max = 1;
  for (const [, q] of asks) max = Math.max(max, q);
  for (const [, q] of bids) max = Math.max(max, q);
  const ref = s && s.reference !== null ? parseFloat(s.reference) : NaN;
  const against = level => !level || isNaN(ref) ? "p" : parseFloat(level[0]) > ref ? "p up" : parseFloat(level[0]) < ref ? "p down" : "p";
  for (let i = 0; i < 10; i++) {
    const a = asks[9 - i], r = ladderRows[i];
    r.p.className = against(a);
    r.p.textContent = a ? price(a[0]) : ""; r.as.textContent = a ? size(a[1]) : ""; r.bs.textContent = "";
    r.ab.style.width = a ? (a[1] / max * 100).toFixed(1) + "%" : "0"; r.bb.style.width = "0";
    const b = bids[i], q = ladderRows[11 + i];
    q.p.className = against(b);
    q.p.textContent = b ? price(b[0]) : ""; q.bs.textContent = b ? size(b[1]) : ""; q.as.textContent = "";
    q.bb.style.width = b ? (b[1] / max * 100).toFixed(1) + "%" : "0"; q.ab.style.width = "0";
  }
  const mid = ladderRows[10];
  let spread = "";
  if (asks[0] && bids[0] && s) {
    const d = parseFloat(asks[0][0]) - parseFloat(bids[0][0]);
    spread = "spread " + fixed(s, d);
  }
  mid.as.textContent = asks.length ? "ask " + size(asks.reduce((t, l) => t + l[1], 0)) : "";
  mid.p.textContent = s && s.indicative && s.indicative.price !== null ? "est. " + price(s.indicative.price) : spread;
  mid.bs.textContent = bids.length ? "bid " + size(bids.reduce((t, l) => t + l[1], 0)) : "";
  $("spread").textContent = spread;
}

let tapeRows = null;
function renderTape() {
  const s = state.selected ? state.inst.get(state.selected) : null;
  const body = $("tape");
  if (!tapeRows) {
    tapeRows = [];
    for (let i = 0; i < TAPE_MAX; i++) {
      const tr = document.createElement("tr");
      tr.innerHTML = "<td></td><td></td><td></td>";
      body.appendChild(tr);
      tapeRows.push({ tr, c: tr.children });
    }
  }
  const t = s ? s.tape : [];
  for (let i = 0; i < TAPE_MAX; i++) {
    const x = t[t.length - 1 - i], r = tapeRows[i];
    if (!x) { r.tr.hidden = true; continue; }
    r.tr.hidden = false;
    if (x.gap) {
      r.tr.className = "gap"; r.c[0].textContent = ""; r.c[1].textContent = x.gap; r.c[2].textContent = "";
      continue;
    }
    r.tr.className = x.side === "B" ? "up" : x.side === "S" ? "down" : "";
    r.c[0].textContent = clock(x.ts);
    r.c[1].textContent = price(x.price);
    r.c[2].textContent = size(x.size);
  }
}

function renderConn(now) {
  const el = $("conn");
  let c = state.conn, text;
  if (c === "live" && now < state.delayedUntil) c = "delayed";
  else if (state.delayedUntil && now >= state.delayedUntil) state.delayedUntil = 0;
  if (c === "reconnecting") text = "reconnecting in " + Math.max(0, Math.ceil((state.retryAt - now) / 1000)) + " s";
  else text = c === "connecting" ? "connecting…" : c === "delayed" ? "delayed (conflated)" : c;
  if (el.dataset.state !== c) el.dataset.state = c;
  if (el.textContent !== text) el.textContent = text;
}

// Charts on canvas: sized to the element and the device's pixel ratio.
// Canvas sizes come from a ResizeObserver (reading layout in the frame would force it).
const canvasSize = new WeakMap();
const sizer = new ResizeObserver(entries => {
  for (const e of entries) canvasSize.set(e.target, { width: e.contentRect.width, height: e.contentRect.height });
  dirty.chart = true; for (const r of rows.values()) r.sparkAt = 0; queueFrame();
});
function fit(canvas) {
  let r = canvasSize.get(canvas);
  if (!r) { sizer.observe(canvas); r = canvas.getBoundingClientRect(); canvasSize.set(canvas, r = { width: r.width, height: r.height }); }
  const k = window.devicePixelRatio || 1;
  const w = Math.max(1, Math.round(r.width * k)), h = Math.max(1, Math.round(r.height * k));
  if (canvas.width !== w || canvas.height !== h) { canvas.width = w; canvas.height = h; }
  const ctx = canvas.getContext("2d");
  ctx.setTransform(k, 0, 0, k, 0, 0);
  return { ctx, w: r.width, h: r.height };
}
// Theme colours by market ("krx" or "us"), read once from the style sheet and again when the
// colour setting or the system's theme changes (reading computed style per draw would force a
// style recalculation in the middle of each frame).
let palette = {};
function colour(name, el) {
  const key = (el.closest(".krx") ? "krx" : "us") + name;
  if (!(key in palette)) palette[key] = getComputedStyle(el).getPropertyValue(name).trim();
  return palette[key];
}
matchMedia("(prefers-color-scheme: dark)").addEventListener("change", () => { palette = {}; dirty.chart = true; queueFrame(); });

function drawSpark(canvas, s) {
  const { ctx, w, h } = fit(canvas);
  ctx.clearRect(0, 0, w, h);
  // The day in 1 m closes; early in the day (fewer than 8 of them), the 1 s closes instead.
  const bars = (s.bars["1m"].length >= 8 ? s.bars["1m"] : s.bars["1s"]).slice(-SPARK_POINTS);
  if (bars.length < 2) return;
  let lo = Infinity, hi = -Infinity;
  for (const b of bars) { lo = Math.min(lo, b.c); hi = Math.max(hi, b.c); }
  const ref = s.reference !== null ? parseFloat(s.reference) : NaN;
  if (!isNaN(ref)) { lo = Math.min(lo, ref); hi = Math.max(hi, ref); }
  const y = v => hi === lo ? h / 2 : h - 2 - (v - lo) / (hi - lo) * (h - 4);
  const x = i => i / (bars.length - 1) * w;
  if (!isNaN(ref)) {
    ctx.strokeStyle = colour("--muted", canvas); ctx.setLineDash([2, 2]); ctx.lineWidth = 1;
    ctx.beginPath(); ctx.moveTo(0, y(ref)); ctx.lineTo(w, y(ref)); ctx.stroke(); ctx.setLineDash([]);
  }
  const dir = direction(s.sign);
  ctx.strokeStyle = colour(dir === "down" ? "--down" : dir === "up" ? "--up" : "--muted", canvas);
  ctx.lineWidth = 1.4;
  ctx.beginPath();
  bars.forEach((b, i) => (i ? ctx.lineTo(x(i), y(b.c)) : ctx.moveTo(x(i), y(b.c))));
  ctx.stroke();
}

/** The interval the chart shows: the chosen one, or 1 s bars while a young day has too few of the
 *  chosen (a chart of two 1 m bars says little; the choice takes over once there are enough). */
function shownInterval(s) {
  const chosen = s.bars[state.interval];
  if (state.intervalChosen || state.interval === "1s" || chosen.length >= 12) return state.interval;
  return s.bars["1s"].length > chosen.length ? "1s" : state.interval;
}

function drawChart() {
  const canvas = $("chart");
  const { ctx, w, h } = fit(canvas);
  ctx.clearRect(0, 0, w, h);
  const s = state.selected ? state.inst.get(state.selected) : null;
  const interval = s ? shownInterval(s) : state.interval;
  const all = s ? s.bars[interval] : [];
  const axisW = 64, axisH = 18, top = 10, plotW = w - axisW, plotH = h - axisH;
  const slot = state.kind === "candle" ? 7 : 3;
  const bars = all.slice(-Math.max(2, Math.floor(plotW / slot)));
  canvas.dataset.bars = String(bars.length);
  canvas.dataset.last = bars.length ? [bars[bars.length - 1].t, bars[bars.length - 1].c, bars[bars.length - 1].v].join("/") : "";
  canvas.dataset.interval = interval;
  const muted = colour("--muted", canvas), line = colour("--line", canvas);
  const up = colour("--up", canvas), down = colour("--down", canvas);
  ctx.font = "11px system-ui, sans-serif";
  $("chart-note").textContent = s && !s.unknown
    ? [interval !== state.interval ? `${interval} bars (few ${state.interval} bars yet)` : "",
       s.fromServer[interval] ? "" : "from live trades", bars.length ? "" : "waiting for trades"].filter(Boolean).join(" · ")
    : "";
  if (!bars.length) return;
  let lo = Infinity, hi = -Infinity;
  for (const b of bars) { lo = Math.min(lo, b.l); hi = Math.max(hi, b.h); }
  const ref = s.reference !== null ? parseFloat(s.reference) : NaN;
  if (hi === lo) { hi += 1; lo -= 1; }
  const pad = (hi - lo) * 0.08; hi += pad; lo -= pad;
  const y = v => top + (hi - v) / (hi - lo) * (plotH - top);
  const step = plotW / Math.max(bars.length, 2);
  const x = i => i * step + step / 2;
  // Grid and price axis.
  ctx.strokeStyle = line; ctx.fillStyle = muted; ctx.lineWidth = 1; ctx.textBaseline = "middle";
  for (let k = 0; k <= 4; k++) {
    const v = lo + (hi - lo) * k / 4, yy = Math.round(y(v)) + .5;
    ctx.beginPath(); ctx.moveTo(0, yy); ctx.lineTo(plotW, yy); ctx.stroke();
    ctx.fillText(fixed(s, v), plotW + 6, yy);
  }
  // Time axis.
  ctx.textBaseline = "top";
  const every = Math.max(1, Math.ceil(bars.length / Math.max(1, Math.floor(plotW / 80))));
  for (let i = 0; i < bars.length; i += every) {
    const label = clock(bars[i].t).slice(0, interval === "1s" ? 8 : 5), lw = ctx.measureText(label).width;
    ctx.fillText(label, Math.min(Math.max(0, x(i) - lw / 2), plotW - lw), plotH + 4);
  }
  if (!isNaN(ref) && ref > lo && ref < hi) {
    ctx.strokeStyle = muted; ctx.setLineDash([4, 4]);
    ctx.beginPath(); ctx.moveTo(0, y(ref)); ctx.lineTo(plotW, y(ref)); ctx.stroke(); ctx.setLineDash([]);
  }
  if (state.kind === "candle") {
    const bw = Math.max(1, step * 0.7);
    for (let i = 0; i < bars.length; i++) {
      const b = bars[i], c = b.c >= b.o ? up : down;
      ctx.strokeStyle = c; ctx.fillStyle = c;
      ctx.beginPath(); ctx.moveTo(Math.round(x(i)) + .5, y(b.h)); ctx.lineTo(Math.round(x(i)) + .5, y(b.l)); ctx.stroke();
      const top = y(Math.max(b.o, b.c)), hgt = Math.max(1, Math.abs(y(b.o) - y(b.c)));
      ctx.fillRect(x(i) - bw / 2, top, bw, hgt);
    }
  } else {
    const dir = direction(s.sign), c = dir === "down" ? down : up;
    ctx.beginPath();
    bars.forEach((b, i) => (i ? ctx.lineTo(x(i), y(b.c)) : ctx.moveTo(x(i), y(b.c))));
    ctx.strokeStyle = c; ctx.lineWidth = 1.6; ctx.stroke();
    ctx.lineTo(x(bars.length - 1), plotH); ctx.lineTo(x(0), plotH); ctx.closePath();
    const g = ctx.createLinearGradient(0, 0, 0, plotH);
    g.addColorStop(0, c + "55"); g.addColorStop(1, c + "00");
    ctx.fillStyle = g; ctx.fill();
  }
  // Last price tag on the axis.
  const lastBar = bars[bars.length - 1], ly = y(lastBar.c);
  ctx.fillStyle = lastBar.c >= (isNaN(ref) ? lastBar.o : ref) ? up : down;
  ctx.fillRect(plotW + 2, ly - 8, axisW - 2, 16);
  ctx.fillStyle = "#fff"; ctx.textBaseline = "middle";
  ctx.fillText(fixed(s, lastBar.c), plotW + 6, ly);
}

let rendersThisSecond = 0, secondStart = performance.now(), updatesAtSecond = 0;
function render(now) {
  frameQueued = false;
  if (dirty.list) { dirty.list = false; renderList(); }
  for (const sym of dirty.rows) renderRow(sym, now);
  dirty.rows.clear();
  if (dirty.detail) { dirty.detail = false; renderDetail(); }
  if (dirty.book) { dirty.book = false; renderBook(); }
  if (dirty.tape) { dirty.tape = false; renderTape(); }
  if (dirty.chart) { dirty.chart = false; drawChart(); }
  if (dirty.conn) { dirty.conn = false; renderConn(now); }
  rendersThisSecond++;
  if (now - secondStart >= 1000) {
    $("msgs").textContent = Math.round((state.updates - updatesAtSecond) * 1000 / (now - secondStart)) + " msg/s";
    updatesAtSecond = state.updates; secondStart = now; rendersThisSecond = 0;
  }
  $("updates").textContent = String(state.updates);
}
// Rows flash and settle, charts redraw on resize, sparklines catch up: a slow tick for that.
setInterval(() => { for (const sym of state.list) dirty.rows.add(sym); queueFrame(); }, 1000);
sizer.observe($("chart"));

// ---------------------------------------------------------------------------------------------
// Search (GET /v1/symbols?q=) and keyboard
// ---------------------------------------------------------------------------------------------
const search = $("search"), results = $("results");
let searchSeq = 0, searchTimer = 0, highlighted = -1;
function authHeaders() { return token ? { headers: { Authorization: "Bearer " + token } } : {}; }
function showResults(list) {
  results.innerHTML = "";
  highlighted = list.length ? 0 : -1;
  list.forEach((x, i) => {
    const li = document.createElement("li");
    li.setAttribute("role", "option"); li.dataset.sym = x.symbol; li.id = "result-" + i;
    li.setAttribute("aria-selected", i === highlighted ? "true" : "false");
    const a = document.createElement("b"); a.textContent = x.symbol;
    const n = document.createElement("span"); n.className = "nm"; n.textContent = [x.name, x.english_name].filter(Boolean).join(" · ");
    const p = document.createElement("span"); p.textContent = x.last ? price(x.last.price) : "";
    li.append(a, n, p);
    li.addEventListener("mousedown", e => { e.preventDefault(); pick(x.symbol); });
    results.appendChild(li);
  });
  results.hidden = list.length === 0;
  search.setAttribute("aria-expanded", list.length ? "true" : "false");
}
async function runSearch(q) {
  const mine = ++searchSeq;
  if (!q) { showResults([]); return; }
  try {
    const r = await fetch("/v1/symbols?limit=8&q=" + encodeURIComponent(q), authHeaders());
    const j = r.ok ? await r.json() : { symbols: [] };
    if (mine === searchSeq) showResults(j.symbols || []);
  } catch { if (mine === searchSeq) showResults([]); }
}
function pick(sym) { search.value = ""; showResults([]); add(sym, true); }
search.addEventListener("input", () => {
  clearTimeout(searchTimer);
  const q = search.value.trim();
  if (q.length > 64) return;
  searchTimer = setTimeout(() => runSearch(q), 120);
});
search.addEventListener("keydown", e => {
  const items = results.children;
  if (e.key === "ArrowDown" || e.key === "ArrowUp") {
    if (!items.length) return;
    e.preventDefault();
    highlighted = (highlighted + (e.key === "ArrowDown" ? 1 : items.length - 1)) % items.length;
    [...items].forEach((li, i) => li.setAttribute("aria-selected", i === highlighted ? "true" : "false"));
    search.setAttribute("aria-activedescendant", "result-" + highlighted);
  } else if (e.key === "Enter") {
    e.preventDefault();
    const chosen = highlighted >= 0 && items[highlighted] ? items[highlighted].dataset.sym : search.value;
    if (chosen.trim()) pick(chosen);
  } else if (e.key === "Escape") {
    search.value = ""; showResults([]); search.blur();
  }
});
search.addEventListener("blur", () => setTimeout(() => showResults([]), 150));

$("watchlist").addEventListener("click", e => {
  const li = e.target.closest(".row");
  if (!li) return;
  if (e.target.closest(".rm")) remove(li.dataset.sym); else { selectSymbol(li.dataset.sym); li.focus(); }
});
$("watchlist").addEventListener("keydown", e => {
  const li = e.target.closest(".row");
  if (!li) return;
  const i = state.list.indexOf(li.dataset.sym);
  let next = null;
  if (e.key === "ArrowDown") next = state.list[Math.min(i + 1, state.list.length - 1)];
  else if (e.key === "ArrowUp") next = state.list[Math.max(i - 1, 0)];
  else if (e.key === "Home") next = state.list[0];
  else if (e.key === "End") next = state.list[state.list.length - 1];
  else if (e.key === "Delete" || e.key === "Backspace") {
    e.preventDefault(); remove(li.dataset.sym);
    requestAnimationFrame(() => rows.get(state.selected)?.li.focus());
    return;
  } else return;
  e.preventDefault();
  selectSymbol(next);
  requestAnimationFrame(() => rows.get(next)?.li.focus());
});
document.addEventListener("keydown", e => {
  if (e.key === "/" && document.activeElement !== search) { e.preventDefault(); search.focus(); }
});
for (const b of document.querySelectorAll("#chart-kind button")) {
  b.addEventListener("click", () => { state.kind = b.dataset.kind; pressed("#chart-kind", b); dirty.chart = true; queueFrame(); });
}
for (const b of document.querySelectorAll("#chart-interval button")) {
  b.addEventListener("click", () => { state.interval = b.dataset.iv; state.intervalChosen = true; pressed("#chart-interval", b); dirty.chart = true; queueFrame(); });
}
function pressed(group, b) { for (const x of document.querySelectorAll(group + " button")) x.setAttribute("aria-pressed", x === b ? "true" : "false"); }

// Colour convention: auto (by market), red-up (Korean) or green-up (US), remembered.
const colourModes = ["auto", "red-up", "green-up"];
function applyColours(mode) {
  palette = {};
  document.body.classList.remove("red-up", "green-up");
  if (mode !== "auto") document.body.classList.add(mode);
  $("colours").textContent = "colours: " + mode;
  for (const r of rows.values()) r.sparkAt = 0;
  dirty.chart = true; queueFrame();
}
let colourMode = (() => { try { return localStorage.getItem(COLOURS) || "auto"; } catch { return "auto"; } })();
if (!colourModes.includes(colourMode)) colourMode = "auto";
$("colours").addEventListener("click", () => {
  colourMode = colourModes[(colourModes.indexOf(colourMode) + 1) % colourModes.length];
  try { localStorage.setItem(COLOURS, colourMode); } catch { /* private mode */ }
  applyColours(colourMode);
});

// ---------------------------------------------------------------------------------------------
// Start: the URL's symbols, else the stored watchlist, else the first symbols the server lists
// ---------------------------------------------------------------------------------------------
async function start() {
  applyColours(colourMode);
  let list = [];
  const fromUrl = params.get("symbols");
  if (fromUrl !== null) list = fromUrl.split(",");
  else {
    try { list = JSON.parse(localStorage.getItem(STORE) || "[]"); } catch { list = []; }
    if (!Array.isArray(list)) list = [];
  }
  list = [...new Set(list.map(x => canon(String(x))).filter(Boolean))];
  while (!list.length) {
    try {
      const r = await fetch("/v1/symbols?limit=" + DEFAULT_COUNT, authHeaders());
      list = ((await r.json()).symbols || []).map(x => x.symbol);
    } catch { list = []; }
    if (!list.length) await new Promise(ok => setTimeout(ok, 1000));
  }
  state.list = list;
  for (const x of list) instrument(x);
  state.selected = list[0];
  save();
  dirty.list = true;
  queueFrame();
  connect();
}
start();
