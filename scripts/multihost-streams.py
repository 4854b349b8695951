#!/usr/bin/env python3
"""Stream recorder and comparer for scripts/multihost-check (standard library only).

    multihost-streams.py record URL OUT [--symbols A,B|all] [--expect N] [--seconds S]
        Connects to ws://HOST:PORT/v1/stream, subscribes (depth 10) to the symbols (all: those of
        GET /v1/symbols on the same host, once it lists N of them or after 20 s), and writes every
        text message as one line "<receive time, ns since the epoch> <message>" to OUT until the
        connection closes, S seconds pass, or SIGTERM/SIGINT. Answers pings. A last line
        "# end <reason>" says why it stopped.

    multihost-streams.py get URL
        Prints the HTTP status of GET URL (0 if it cannot connect) and the start of the body.

    multihost-streams.py listen GROUP:PORT K ADDR SECONDS
        Joins a feed node's K channels (GROUP+i) on the interface with address ADDR for SECONDS and
        prints "channelI=PACKETS/MESSAGES" per channel; exit 1 if a channel got nothing.

    multihost-streams.py compare LABEL A B [--window T0 T1] [--min N] [--symbols N] [--ignore-rt]
        Checks that two recordings (clients of two gateways) saw the same market: per symbol, from
        the first seq both have to the last seq both have, the same seq, type, prices, sizes, ts, rt
        (and status/side/match); each stream's updates follow its snapshot without a hole; every
        snapshot equals the other stream's state at that seq; no gap, error, conflated quote or
        stale status. With --window, only messages received between T0 and T1 (ns) are checked and
        A's updates then compared (B's whole stream gives the state), and at least N (--min, default
        100) of them must have been compared (and, with --symbols, N symbols recorded). Prints one
        summary line and the problems; exit 0 when identical.

The WebSocket client is deliberately minimal (RFC 6455 client side: masked frames out, unmasked
frames in, fragmented messages reassembled, ping answered): enough for quotecast's server, which
the Autobahn suite checks separately (scripts/autobahn).
"""
import base64
import json
import os
import re
import select
import signal
import socket
import struct
import sys
import time
import urllib.error
import urllib.request


# --- recording ---------------------------------------------------------------------------------

class Closed(Exception):
    pass


def ws_connect(host, port, path, timeout=10):
    sock = socket.create_connection((host, port), timeout=timeout)
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall((f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
                  f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                  "Sec-WebSocket-Version: 13\r\n\r\n").encode())
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = sock.recv(4096)
        if not chunk:
            raise Closed("closed during the handshake")
        head += chunk
    head, rest = head.split(b"\r\n\r\n", 1)
    status = head.split(b"\r\n", 1)[0]
    if b" 101 " not in status + b" ":
        raise Closed(f"handshake refused: {status.decode(errors='replace')}")
    sock.settimeout(None)
    return sock, bytearray(rest)


def ws_send(sock, opcode, payload):
    mask = os.urandom(4)
    n = len(payload)
    if n < 126:
        header = struct.pack("!BB", 0x80 | opcode, 0x80 | n)
    elif n < 65536:
        header = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, n)
    else:
        header = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, n)
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    sock.sendall(header + mask + masked)


def frames(buffer):
    """Yields (fin, opcode, payload) for each whole frame at the start of buffer, consuming it."""
    while True:
        if len(buffer) < 2:
            return
        b0, b1 = buffer[0], buffer[1]
        n = b1 & 0x7F
        offset = 2
        if n == 126:
            if len(buffer) < 4:
                return
            n = struct.unpack_from("!H", buffer, 2)[0]
            offset = 4
        elif n == 127:
            if len(buffer) < 10:
                return
            n = struct.unpack_from("!Q", buffer, 2)[0]
            offset = 10
        if b1 & 0x80:  # a server must not mask; handle it anyway
            mask = bytes(buffer[offset:offset + 4])
            offset += 4
        else:
            mask = None
        if len(buffer) < offset + n:
            return
        payload = bytes(buffer[offset:offset + n])
        if mask:
            payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        del buffer[:offset + n]
        yield bool(b0 & 0x80), b0 & 0x0F, payload


def record(url, out_path, symbols, seconds, expect):
    assert url.startswith("ws://")
    hostport, _, path = url[5:].partition("/")
    host, _, port = hostport.rpartition(":")
    port = int(port)
    if symbols == "all":
        deadline = time.monotonic() + 20
        while True:  # a gateway may be live before the feed node has announced every instrument
            with urllib.request.urlopen(f"http://{host}:{port}/v1/symbols", timeout=10) as r:
                listing = json.loads(r.read())
            entries = listing["symbols"] if isinstance(listing, dict) else listing
            names = [e["symbol"] if isinstance(e, dict) else e for e in entries]
            if len(names) >= expect or time.monotonic() > deadline:
                break
            time.sleep(0.2)
    else:
        names = [s for s in symbols.split(",") if s]
    stop = {"reason": None}

    def on_signal(signum, _frame):
        stop["reason"] = "signal"
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    out = open(out_path, "w", buffering=1 << 20)
    reason = "?"
    try:
        sock, buffer = ws_connect(host, port, "/" + path)
        ws_send(sock, 1, json.dumps({"op": "subscribe", "symbols": names, "depth": 10}).encode())
        deadline = time.monotonic() + seconds
        flushed = time.monotonic()
        message = bytearray()
        message_opcode = 0
        while True:
            for fin, opcode, payload in frames(buffer):
                if opcode == 9:
                    ws_send(sock, 10, payload)
                elif opcode == 10:
                    pass
                elif opcode == 8:
                    code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None
                    raise Closed(f"close {code} {payload[2:].decode(errors='replace')}")
                else:
                    if opcode != 0:
                        message_opcode = opcode
                        message = bytearray()
                    message += payload
                    if fin:
                        if message_opcode == 1:
                            out.write(f"{time.time_ns()} {message.decode()}\n")
                        message = bytearray()
            if stop["reason"]:
                reason = stop["reason"]
                break
            if time.monotonic() - flushed > 0.5:  # so that others can watch the file grow
                out.flush()
                flushed = time.monotonic()
            left = deadline - time.monotonic()
            if left <= 0:
                reason = "duration"
                break
            ready, _, _ = select.select([sock], [], [], min(left, 0.2))
            if ready:
                chunk = sock.recv(1 << 18)
                if not chunk:
                    raise Closed("connection dropped")
                buffer += chunk
        try:
            ws_send(sock, 8, struct.pack("!H", 1000))
        except OSError:
            pass
        sock.close()
    except (Closed, OSError) as error:
        reason = str(error).replace("\n", " ")
    out.write(f"# end {reason}\n")
    out.close()


# --- comparing ---------------------------------------------------------------------------------
# Recordings hold a few hundred thousand messages, mostly 10-level quotes: parsing each as JSON takes
# longer than the run. Updates are compared as text (both gateways encode with the same code, so
# equal messages are equal bytes; with --ignore-rt the "rt" field is cut out first), and only
# snapshots and the few messages that make up a state are parsed.

TYPE = re.compile(r'"type":"(\w+)"')
SYMBOL = re.compile(r'"symbol":"([^"]*)"')
SEQ = re.compile(r'"seq":(\d+)')
RT = re.compile(r',"rt":\d+')
UPDATE_TYPES = ("quote", "trade", "status", "trade_break")


class Message:
    __slots__ = ("recv", "type", "symbol", "seq", "text")

    def __init__(self, recv, type_, symbol, seq, text):
        self.recv, self.type, self.symbol, self.seq, self.text = recv, type_, symbol, seq, text

    def parsed(self):
        return json.loads(self.text)


def load(path, problems, name):
    messages = []
    with open(path) as f:
        for line in f:
            if line.startswith("#"):
                continue
            stamp, _, text = line.rstrip("\n").partition(" ")
            t = TYPE.search(text)
            if not stamp.isdigit() or not t:
                problems.append(f"{name}: unreadable line {line[:80]!r}")
                continue
            symbol, seq = SYMBOL.search(text), SEQ.search(text)
            messages.append(Message(int(stamp), t.group(1), symbol and symbol.group(1),
                                    seq and int(seq.group(1)), text))
    return messages


def per_symbol(messages, problems, name, inside, feed_conflation=False):
    """symbol -> its snapshots and updates in arrival order; checks the stream on its own: no gap,
    error, conflated quote or stale status, and each update the seq after the one before (problems
    only for messages received inside the window). With feed_conflation (a feed node over its
    bandwidth budget), a quote marked conflated is allowed, and so is a seq hole right before it."""
    by = {}
    for m in messages:
        if m.type in ("gap", "error") and inside(m):
            problems.append(f"{name}: {m.text[:200]}")
        if m.type in UPDATE_TYPES or m.type == "snapshot":
            if inside(m):
                if '"conflated":true' in m.text and not feed_conflation:
                    problems.append(f"{name}: conflated quote {m.symbol} seq {m.seq} (the client was slow)")
                if '"status":"stale"' in m.text:
                    problems.append(f"{name}: {m.symbol} stale at seq {m.seq}")
            by.setdefault(m.symbol, []).append(m)
    for symbol, items in by.items():
        expected = None
        for m in items:
            if m.type == "snapshot":
                expected = m.seq + 1
                continue
            if expected is None:
                if inside(m):
                    problems.append(f"{name}: {symbol} update seq {m.seq} before any snapshot")
            elif m.seq != expected and inside(m) and not (
                    feed_conflation and m.type == "quote" and m.seq > expected and '"conflated":true' in m.text):
                problems.append(f"{name}: {symbol} seq {m.seq} after {expected - 1} (hole)")
            expected = m.seq + 1
    return by


STATE_KEYS = ("seq", "ts", "rt", "status", "bids", "asks", "last", "volume")


def state_at(items, seq):
    """The merged state of a symbol after seq, from a stream's latest snapshot at or before seq and
    its updates up to seq (None when the stream has no snapshot that early or misses seq)."""
    base = None
    for i, m in enumerate(items):
        if m.seq is not None and m.seq > seq:
            break
        if m.type == "snapshot":
            base = i
    if base is None:
        return None
    snapshot = items[base].parsed()
    state = {k: snapshot.get(k) for k in STATE_KEYS}
    last_quote = None
    for m in items[base + 1:]:
        if m.seq > seq:
            break
        if m.type == "snapshot":
            continue
        if m.type == "quote":
            last_quote = m
            header = {"seq": m.seq}
        else:
            update = m.parsed()
            header = update
            if m.type == "trade":
                state["last"] = {"price": update["price"], "size": update["size"]}
                if state["volume"] is not None:
                    state["volume"] += update["size"]
            elif m.type == "status":
                state["status"] = update["status"]
        state["seq"] = header["seq"]
    if state["seq"] != seq:
        return None
    final = None
    if last_quote is not None:
        quote = last_quote.parsed()
        state["bids"], state["asks"] = quote.get("bids"), quote.get("asks")
    # ts and rt: those of the tick at seq
    for m in items[base:]:
        if m.seq == seq:
            final = m.parsed()
            break
    state["ts"], state["rt"] = final["ts"], final["rt"]
    return state


def comparable(text, ignore_rt):
    return RT.sub("", text) if ignore_rt else text


def compare(label, path_a, path_b, window, minimum, ignore_rt, expect_symbols, feed_conflation=False):
    problems = []

    def inside(m):
        return not window or window[0] <= m.recv <= window[1]

    by_a = per_symbol(load(path_a, problems, "A"), problems, "A", inside, feed_conflation)
    by_b = per_symbol(load(path_b, problems, "B"), problems, "B", inside, feed_conflation)
    compared = snapshots_checked = differences = 0
    symbols = sorted(set(by_a) | set(by_b))
    missing = [s for s in symbols if s not in by_a or s not in by_b]
    if missing:
        problems.append(f"symbols only one client saw: {missing[:10]}")

    for symbol in symbols:
        if symbol not in by_a or symbol not in by_b:
            continue
        items_a, items_b = by_a[symbol], by_b[symbol]
        updates_b = {m.seq: m for m in items_b if m.type in UPDATE_TYPES}
        low_b, high_b = min(m.seq for m in items_b), max(m.seq for m in items_b)
        for m in items_a:
            if m.type not in UPDATE_TYPES or not inside(m) or not (low_b < m.seq <= high_b):
                continue
            other = updates_b.get(m.seq)
            if other is None:
                continue  # B resynchronized past it (its snapshot is checked) or a hole (reported)
            compared += 1
            if comparable(m.text, ignore_rt) != comparable(other.text, ignore_rt):
                differences += 1
                if differences <= 5:
                    problems.append(f"{symbol} seq {m.seq} differs:\n    A {m.text}\n    B {other.text}")
        # every snapshot against the other stream's state at its seq
        for mine, theirs_items, name in ((items_a, items_b, "A"), (items_b, items_a, "B")):
            for m in mine:
                if m.type != "snapshot" or not inside(m):
                    continue
                theirs = state_at(theirs_items, m.seq)
                if theirs is None:
                    continue  # the other client was not subscribed yet at that seq
                snapshots_checked += 1
                snapshot = m.parsed()
                ours = {k: snapshot.get(k) for k in STATE_KEYS}
                for state in (ours, theirs):
                    if ignore_rt:
                        state.pop("rt")
                    if theirs.get("volume") is None:
                        state.pop("volume", None)
                if ours != theirs:
                    differences += 1
                    if differences <= 5:
                        problems.append(f"{name} snapshot {symbol} seq {m.seq} differs from the "
                                        f"other stream's state:\n    {ours}\n    {theirs}")
    if compared < minimum:
        problems.append(f"only {compared} updates compared (want at least {minimum})")
    if len(symbols) < expect_symbols:
        problems.append(f"only {len(symbols)} symbols recorded (want {expect_symbols})")
    ok = not problems
    print(f"{label}: {'identical' if ok else 'DIFFERENT'}: {compared} updates and {snapshots_checked} "
          f"snapshots compared over {len(symbols)} symbols, {differences} differences")
    for p in problems[:20]:
        print(f"  {p}")
    if len(problems) > 20:
        print(f"  ... and {len(problems) - 20} more")
    return ok


def http_get(url, timeout=2):
    """Prints the HTTP status of GET url (0 when it cannot connect) and the body."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            print(r.status, r.read().decode(errors="replace")[:2000])
    except urllib.error.HTTPError as error:
        print(error.code, error.read().decode(errors="replace")[:2000])
    except (OSError, ValueError) as error:
        print(0, error)
    return 0


def listen(group_port, channels, interface, seconds):
    """Joins channels GROUP+0 .. GROUP+K-1 on the interface with ADDR and prints, after S seconds,
    the MoldUDP64 packets and message blocks received per channel."""
    group, _, port = group_port.rpartition(":")
    base = struct.unpack("!I", socket.inet_aton(group))[0]
    sockets = []
    for i in range(channels):
        address = socket.inet_ntoa(struct.pack("!I", base + i))
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((address, int(port)))
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP,
                        socket.inet_aton(address) + socket.inet_aton(interface))
        sock.setblocking(False)
        sockets.append(sock)
    packets, blocks = [0] * channels, [0] * channels
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        ready, _, _ = select.select(sockets, [], [], left)
        for sock in ready:
            i = sockets.index(sock)
            data = sock.recv(65536)
            if len(data) >= 20:
                packets[i] += 1
                count = struct.unpack_from("!H", data, 18)[0]
                blocks[i] += count if count != 0xFFFF else 0
    print(" ".join(f"channel{i}={packets[i]}/{blocks[i]}" for i in range(channels)))
    return 0 if all(packets) else 1


def main(argv):
    if len(argv) == 2 and argv[0] == "get":
        return http_get(argv[1])
    if len(argv) == 5 and argv[0] == "listen":
        return listen(argv[1], int(argv[2]), argv[3], float(argv[4]))
    if len(argv) >= 3 and argv[0] == "record":
        symbols, seconds, expect = "all", 600.0, 1
        rest = argv[3:]
        while rest:
            flag, value = rest[0], rest[1]
            if flag == "--symbols":
                symbols = value
            elif flag == "--seconds":
                seconds = float(value)
            elif flag == "--expect":
                expect = int(value)
            else:
                sys.exit(f"unknown flag {flag}")
            rest = rest[2:]
        record(argv[1], argv[2], symbols, seconds, expect)
        return 0
    if len(argv) >= 4 and argv[0] == "compare":
        window, minimum, ignore_rt, expect_symbols, feed_conflation = None, 100, False, 0, False
        rest = argv[4:]
        while rest:
            if rest[0] == "--window":
                window = (int(rest[1]), int(rest[2]))
                rest = rest[3:]
            elif rest[0] == "--min":
                minimum = int(rest[1])
                rest = rest[2:]
            elif rest[0] == "--symbols":
                expect_symbols = int(rest[1])
                rest = rest[2:]
            elif rest[0] == "--ignore-rt":
                ignore_rt = True
                rest = rest[1:]
            elif rest[0] == "--feed-conflation":
                feed_conflation = True
                rest = rest[1:]
            else:
                sys.exit(f"unknown flag {rest[0]}")
        return 0 if compare(argv[1], argv[2], argv[3], window, minimum, ignore_rt, expect_symbols,
                            feed_conflation) else 1
    sys.exit(__doc__)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
