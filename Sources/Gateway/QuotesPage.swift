/// `GET /`: a small live quotes page (plain HTML + JavaScript, no build step, served from the binary).
/// It reads `/v1/symbols`, subscribes to the first symbols (or those in `?symbols=A,B`) at depth 1
/// through the WebSocket API on the same host, and keeps a table of bid, ask, last, volume and status
/// up to date; it follows `gap` + snapshot and reconnects with backoff. For demos and browser tests:
/// each price cell carries an id (`bid-AAPL`, `ask-AAPL`, `last-AAPL`) and `#updates` counts messages.
/// On a gateway with `--auth token`, open it as `/?access_token=TOKEN`: the page sends the token as a
/// `bearer.` subprotocol on the stream and as `Authorization` on `/v1/symbols` (docs/security.md).
public enum QuotesPage {
    /// The page.
    public static let html = #"""
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>quotecast — live quotes</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #222; }
  table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
  th, td { padding: 3px 10px; text-align: right; border-bottom: 1px solid #eee; }
  th:first-child, td:first-child { text-align: left; }
  td.up { color: #087f23; } td.down { color: #b00020; }
  #state { margin-left: 1em; color: #666; }
</style>
</head>
<body>
<h1>quotecast <small id="state">connecting…</small></h1>
<p>updates: <span id="updates">0</span> · gaps: <span id="gaps">0</span></p>
<table>
  <thead><tr><th>symbol</th><th>status</th><th>bid size</th><th>bid</th><th>ask</th><th>ask size</th><th>last</th><th>last size</th><th>volume</th><th>seq</th></tr></thead>
  <tbody id="rows"></tbody>
</table>
<script>
"use strict";
const params = new URLSearchParams(location.search);
const wanted = params.get("symbols");
const token = params.get("access_token");
const maxRows = 20;
let updates = 0, gaps = 0, retry = 500, symbols = [];
const el = id => document.getElementById(id);

function row(sym) {
  let tr = document.getElementById("row-" + sym);
  if (tr) return tr;
  tr = document.createElement("tr");
  tr.id = "row-" + sym;
  for (const f of ["sym", "status", "bidsize", "bid", "ask", "asksize", "last", "lastsize", "volume", "seq"]) {
    const td = document.createElement("td");
    td.id = f + "-" + sym;
    if (f === "sym") td.textContent = sym;
    tr.appendChild(td);
  }
  el("rows").appendChild(tr);
  return tr;
}
function set(field, sym, value) {
  const td = document.getElementById(field + "-" + sym);
  if (!td || value === undefined) return;
  const text = value === null ? "—" : String(value);
  if (td.textContent !== text) {
    const before = parseFloat(td.textContent), after = parseFloat(text);
    td.className = isNaN(before) || isNaN(after) || after === before ? "" : (after > before ? "up" : "down");
    td.textContent = text;
  }
}
function book(m) {
  const b = m.bids && m.bids[0], a = m.asks && m.asks[0];
  set("bid", m.symbol, b ? b[0] : null); set("bidsize", m.symbol, b ? b[1] : null);
  set("ask", m.symbol, a ? a[0] : null); set("asksize", m.symbol, a ? a[1] : null);
}
function onMessage(m) {
  switch (m.type) {
    case "snapshot":
      row(m.symbol); book(m); set("status", m.symbol, m.status); set("volume", m.symbol, m.volume);
      set("last", m.symbol, m.last ? m.last.price : null); set("lastsize", m.symbol, m.last ? m.last.size : null);
      break;
    case "quote": book(m); break;
    case "trade":
      set("last", m.symbol, m.price); set("lastsize", m.symbol, m.size);
      const v = parseInt(el("volume-" + m.symbol)?.textContent || "0", 10);
      set("volume", m.symbol, (isNaN(v) ? 0 : v) + m.size);
      break;
    case "status": set("status", m.symbol, m.status); break;
    case "gap": gaps++; el("gaps").textContent = gaps; break;  // a fresh snapshot follows
    case "error": console.warn("quotecast error", m); return;
    default: return;
  }
  if (m.seq !== undefined) set("seq", m.symbol, m.seq);
  updates++;
  el("updates").textContent = updates;
}
function connect() {
  const url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/v1/stream";
  const ws = token ? new WebSocket(url, ["quotecast.v1", "bearer." + token]) : new WebSocket(url);
  ws.onopen = () => {
    retry = 500;
    el("state").textContent = "live";
    ws.send(JSON.stringify({op: "subscribe", symbols: symbols, depth: 1}));
  };
  ws.onmessage = e => onMessage(JSON.parse(e.data));
  ws.onclose = e => {
    el("state").textContent = "disconnected (" + e.code + "), retrying…";
    setTimeout(connect, retry);
    retry = Math.min(retry * 2, 10000);
  };
}
async function start() {
  if (wanted) {
    symbols = wanted.split(",").filter(s => s.length > 0);
  } else {
    try {
      const r = await fetch("/v1/symbols", token ? {headers: {Authorization: "Bearer " + token}} : {});
      const j = await r.json();
      symbols = j.symbols.map(s => s.symbol).slice(0, maxRows);
    } catch (e) { symbols = []; }
  }
  if (symbols.length === 0) { setTimeout(start, 1000); return; }
  for (const s of symbols) row(s);
  connect();
}
start();
</script>
</body>
</html>
"""#
}
