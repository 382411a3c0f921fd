#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark of push (GET /api/v1/events) and delta reloads (not a timed test).

Starts navette-server on demo data plus --rows N generated products
(`navette-server demo --rows N`), then prints:
  - server RSS and CPU with 1 000 idle WebSocket subscribers (raw sockets,
    one process; RSS before and after, CPU over an idle window),
  - write -> announcement latency on loopback (a PATCH through HTTP, the
    announcement read on a subscriber's socket): median and p95,
  - bytes on the wire and time of a full reload of the N-row table and of
    the `?since=` delta after a change of 1 row,
  - the query plan of the delta query (SQLite: EXPLAIN QUERY PLAN;
    PostgreSQL: EXPLAIN, with --db postgresql://…).

Run by hand:  tests/bench/bench-push.py --server build/src/server/navette-server
              [--db postgresql://…/db] [--subscribers 1000] [--rows 100000]
or:           meson test -C build --benchmark bench-push
"""

import argparse
import base64
import http.client
import json
import os
import resource
import select
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time

from navette_bench import rss_kib, start_server

RECORDS = "/api/v1/applications/catalogue/tables/products/records"
EVENTS = "/api/v1/events"


class Http:
    """One kept-alive connection; counts the bytes of each exchange."""

    def __init__(self, host, port, token=None):
        self.host, self.port, self.token = host, port, token
        self.sock = socket.create_connection((host, port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def request(self, method, path, body=None):
        payload = json.dumps(body).encode() if body is not None else b""
        head = f"{method} {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
        if self.token:
            head += f"Authorization: Bearer {self.token}\r\n"
        if body is not None:
            head += f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n"
        raw = head.encode() + b"\r\n" + payload
        self.sock.sendall(raw)
        # status line + headers
        while b"\r\n\r\n" not in self.buf:
            self.buf += self.sock.recv(65536)
        header, self.buf = self.buf.split(b"\r\n\r\n", 1)
        status = int(header.split(b" ", 2)[1])
        length = None
        chunked = False
        for line in header.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value.strip())
            if name.strip().lower() == b"transfer-encoding" and b"chunked" in value.lower():
                chunked = True
        received = len(header) + 4
        if chunked:
            body_bytes = b""
            while True:
                while b"\r\n" not in self.buf:
                    self.buf += self.sock.recv(65536)
                size_line, self.buf = self.buf.split(b"\r\n", 1)
                size = int(size_line.split(b";")[0], 16)
                while len(self.buf) < size + 2:
                    self.buf += self.sock.recv(1 << 20)
                body_bytes += self.buf[:size]
                received += len(size_line) + 2 + size + 2
                self.buf = self.buf[size + 2:]
                if size == 0:
                    break
        else:
            length = length or 0
            while len(self.buf) < length:
                self.buf += self.sock.recv(1 << 20)
            body_bytes, self.buf = self.buf[:length], self.buf[length:]
            received += length
        return status, body_bytes, len(raw), received


def login(host, port, user, password="navette-demo"):
    conn = http.client.HTTPConnection(host, port)
    conn.request("POST", "/api/v1/sessions", body=json.dumps({"username": user, "password": password}),
                 headers={"Content-Type": "application/json"})
    resp = conn.getresponse()
    data = json.loads(resp.read())
    conn.close()
    return data["token"]


def ws_connect(host, port, token):
    sock = socket.create_connection((host, port))
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall((f"GET {EVENTS} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
                  f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                  f"Sec-WebSocket-Protocol: navette.v1\r\nAuthorization: Bearer {token}\r\n\r\n").encode())
    answer = b""
    while b"\r\n\r\n" not in answer:
        chunk = sock.recv(4096)
        if not chunk:
            raise RuntimeError("closed during the handshake")
        answer += chunk
    if not answer.startswith(b"HTTP/1.1 101"):
        raise RuntimeError(answer.split(b"\r\n", 1)[0].decode())
    sock.setblocking(False)
    return sock, answer.split(b"\r\n\r\n", 1)[1]


def ws_read_text(sock, pending, timeout=10.0):
    """Reads frames until a text frame; answers pings. Returns (text, rest)."""
    buf = pending
    deadline = time.monotonic() + timeout
    while True:
        if len(buf) >= 2:
            opcode = buf[0] & 0x0F
            length = buf[1] & 0x7F
            offset = 2
            if length == 126:
                length = int.from_bytes(buf[2:4], "big")
                offset = 4
            elif length == 127:
                length = int.from_bytes(buf[2:10], "big")
                offset = 10
            if len(buf) >= offset + length:
                payload, buf = buf[offset:offset + length], buf[offset + length:]
                if opcode == 1:
                    return payload.decode(), buf
                if opcode == 9:  # ping: a masked pong
                    mask = os.urandom(4)
                    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
                    sock.sendall(bytes([0x8A, 0x80 | len(payload)]) + mask + masked)
                continue
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("no announcement")
        readable, _, _ = select.select([sock], [], [], left)
        if readable:
            chunk = sock.recv(65536)
            if not chunk:
                raise RuntimeError("subscriber closed")
            buf += chunk


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def explain(db):
    if db.startswith("postgres"):
        psql = shutil.which("psql")
        if psql is None:
            return "(psql not found)"
        name = subprocess.run([psql, db, "-Atc",
                               "SELECT t.sql_name FROM content_tables t JOIN applications a ON a.id = t.app_id "
                               "WHERE a.name = 'catalogue' AND t.name = 'products'"],
                              capture_output=True, text=True).stdout.strip()
        top = subprocess.run([psql, db, "-Atc", 'ANALYZE "%s"; SELECT max(revision) FROM "%s"' % (name, name)],
                             capture_output=True, text=True).stdout.split()[-1]
        # the server's query as it runs it: a prepared statement, which PostgreSQL
        # may plan once for any value (generic plan) after a few executions
        plan = subprocess.run([psql, db, "-Atc",
                               "PREPARE delta (bigint) AS SELECT * FROM \"%s\" "
                               "WHERE NOT obsolete AND revision > $1 ORDER BY revision, record_id; "
                               "SET plan_cache_mode = force_generic_plan; "
                               "EXPLAIN ANALYZE EXECUTE delta (%d);" % (name, int(top) - 1)],
                              capture_output=True, text=True).stdout.strip()
        return plan
    conn = sqlite3.connect(db)
    rows = conn.execute("EXPLAIN QUERY PLAN SELECT * FROM \"catalogue.products\" "
                        "WHERE obsolete = 0 AND revision > 99999 ORDER BY revision").fetchall()
    conn.close()
    return "\n".join(row[-1] for row in rows)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--server", required=True)
    parser.add_argument("--db", help="postgresql:// URL of an empty database (default: a temporary SQLite file)")
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--rows", type=int, default=100000)
    parser.add_argument("--idle", type=float, default=10.0, help="seconds of the idle CPU window")
    parser.add_argument("--writes", type=int, default=200)
    args = parser.parse_args()

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = args.subscribers + 256
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(want, hard), hard))

    tmp = tempfile.mkdtemp(prefix="navette-bench-push-")
    db = args.db or os.path.join(tmp, "bench.db")
    started = time.monotonic()
    subprocess.run([args.server, "demo", "--rows", str(args.rows), "--db", db], check=True,
                   stdout=subprocess.DEVNULL)
    print(f"backend: {'PostgreSQL' if db.startswith('postgres') else 'SQLite'}; "
          f"demo --rows {args.rows} in {time.monotonic() - started:.1f} s")

    proc, drain, host, port = start_server(args.server, db,
                                           ["--max-subscriptions", str(args.subscribers + 8),
                                            # every subscriber comes from 127.0.0.1
                                            "--max-connections-per-address",
                                            str(args.subscribers + 64)])
    try:
        bob = login(host, port, "bob")
        alice = login(host, port, "alice")
        time.sleep(0.5)  # let the server settle before the baseline figures
        base_rss = rss_kib(proc.pid)

        # --- 1 000 idle subscribers
        subs = []
        started = time.monotonic()
        for _ in range(args.subscribers):
            subs.append(ws_connect(host, port, bob))
        connect_s = time.monotonic() - started
        time.sleep(1.0)
        rss = rss_kib(proc.pid)
        cpu0 = cpu_seconds(proc.pid)
        time.sleep(args.idle)
        cpu1 = cpu_seconds(proc.pid)
        rss_idle = rss_kib(proc.pid)
        print(f"subscribers: {len(subs)} opened in {connect_s:.2f} s")
        print(f"server RSS: {base_rss / 1024:.1f} MiB before, {rss / 1024:.1f} MiB with {len(subs)} subscribers "
              f"({(rss - base_rss) / max(len(subs), 1):.1f} KiB each), {rss_idle / 1024:.1f} MiB after "
              f"{args.idle:.0f} s idle  (target < 50 MiB)")
        print(f"server CPU while idle: {100 * (cpu1 - cpu0) / args.idle:.2f} % of one core over {args.idle:.0f} s")

        # --- one announcement to all of them (fan-out)
        writer = Http(host, port, alice)
        status, body, _, _ = writer.request("GET", RECORDS + "?since=0")
        assert status == 200, status
        one = json.loads(body)["records"][0]
        record_path = f"{RECORDS}/{one['id']}"
        version = one["version"]
        started = time.monotonic()
        status, body, _, _ = writer.request("PATCH", record_path,
                                            {"base_version": version, "data": {"stock": 1}})
        assert status == 200, (status, body)
        version = json.loads(body)["version"]
        pending = []
        for sock, rest in subs:
            text, rest = ws_read_text(sock, rest)
            pending.append((sock, rest))
        subs = pending
        print(f"fan-out: one write announced to all {len(subs)} subscribers in "
              f"{1000 * (time.monotonic() - started):.1f} ms (write included)")

        # keep one subscriber for the latency figures
        for sock, _ in subs[1:]:
            sock.close()
        sock, rest = subs[0]
        time.sleep(0.5)

        # --- write -> announcement latency
        latencies, after_answer = [], []
        for i in range(args.writes):
            t0 = time.perf_counter()
            status, body, _, _ = writer.request("PATCH", record_path,
                                                {"base_version": version, "data": {"stock": i}})
            t1 = time.perf_counter()
            assert status == 200, (status, body)
            version = json.loads(body)["version"]
            text, rest = ws_read_text(sock, rest)
            t2 = time.perf_counter()
            assert json.loads(text)["table"] == "products"
            latencies.append(1000 * (t2 - t0))
            after_answer.append(1000 * (t2 - t1))
        latencies.sort()
        after_answer.sort()
        p95 = latencies[int(0.95 * (len(latencies) - 1))]
        print(f"write -> announcement ({args.writes} PATCHes, loopback): median {statistics.median(latencies):.2f} ms, "
              f"p95 {p95:.2f} ms from sending the PATCH; median {statistics.median(after_answer):.2f} ms "
              f"after its answer")
        sock.close()

        # --- full reload vs delta after a change of 1 row
        reader = Http(host, port, bob)
        t0 = time.perf_counter()
        rows = wire = pages = 0
        revision = None
        after = ""
        while True:
            # every page of the largest size the server serves
            status, body, sent, received = reader.request("GET", f"{RECORDS}?limit=1000000{after}")
            assert status == 200
            full = json.loads(body)
            revision = full["revision"] if revision is None else revision
            rows += len(full["records"])
            wire += sent + received
            pages += 1
            if "next" not in full:
                break
            after = f"&after={full['next']}"
        full_ms = 1000 * (time.perf_counter() - t0)
        print(f"full reload of {rows} rows in {pages} page(s): {wire} bytes on the wire, {full_ms:.1f} ms")
        status, body, _, _ = writer.request("PATCH", record_path, {"base_version": version, "data": {"stock": 7}})
        assert status == 200
        t0 = time.perf_counter()
        status, body, sent, received = reader.request("GET", f"{RECORDS}?since={revision}")
        delta_ms = 1000 * (time.perf_counter() - t0)
        delta = json.loads(body)
        assert status == 200 and len(delta["records"]) == 1, delta
        print(f"delta after a change of 1 row: {len(delta['records'])} row, {received + sent} bytes on the wire "
              f"(request {sent} + answer {received}), {delta_ms:.2f} ms  (target < 1 KB)")
        print("delta query plan:")
        for line in explain(db).splitlines():
            print(f"  {line}")
    finally:
        proc.terminate()
        proc.wait()
        drain.wait()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
