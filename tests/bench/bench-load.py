#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Load test of navette-server (not a unit test).

200 polling clients and 8 writers for 60 s against the real server on
loopback, on a fresh demo database. Each polling client keeps its own
connection and, every --poll-interval seconds (with jitter), sends the light
check with its ETag (If-None-Match); when the table changed it fetches the
delta (?since=REVISION), as the sync engine does. Each writer keeps its own
connection and writes without pause: creates (client-chosen id) and updates
of its records, every write with its own Idempotency-Key.

Prints, and checks (exit status 1 when a check fails):
  - zero 5xx answers (and no transport errors);
  - p50/p99 of the light checks and of the writes (client-side, including
    this script's own scheduling: an upper bound of the server's);
  - every acknowledged write (2xx) is in the audit, exactly once, with the
    version the writer was given.

Run:  tests/bench/bench-load.py --server build/src/server/navette-server
      [--pollers 200] [--writers 8] [--duration 60] [--poll-interval 1.0]
      [--db postgresql://…/empty-db] [--servers 2]
With --servers N, N server processes share the database and the clients
are spread over them (client i on server i mod N), as behind a proxy.
Only the Python standard library is used (http.client and threads).
"""

import argparse
import http.client
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid

from navette_bench import start_server

APP = "catalogue"
TABLE = "products"
LIGHT = f"/api/v1/applications/{APP}/tables/{TABLE}/last-modified"
RECORDS = f"/api/v1/applications/{APP}/tables/{TABLE}/records"
AUDIT = f"/api/v1/applications/{APP}/audit"
PASSWORD = "navette-demo"


class Client:
    """One keep-alive connection; reconnects when the server closed it."""

    def __init__(self, host, port, token=None):
        self.host, self.port, self.token = host, port, token
        self.conn = None

    def request(self, method, path, body=None, headers=None):
        h = dict(headers or {})
        if self.token:
            h["Authorization"] = f"Bearer {self.token}"
        data = None
        if body is not None:
            h["Content-Type"] = "application/json"
            data = json.dumps(body).encode()
        for attempt in (0, 1):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
            try:
                self.conn.request(method, path, body=data, headers=h)
                resp = self.conn.getresponse()
                payload = resp.read()
                if resp.getheader("Connection", "").lower() == "close":
                    self.close()
                return resp.status, resp.getheader("ETag"), payload
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # An idle keep-alive connection the server closed: once more
                # on a new one (never for a write without its key, and ours
                # all have one, so a replay writes nothing twice).
                self.close()
                if attempt == 1:
                    raise
        raise AssertionError("unreachable")

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def login(host, port, user):
    status, _, data = Client(host, port).request("POST", "/api/v1/sessions",
                                                 {"username": user, "password": PASSWORD})
    if status != 201:
        sys.exit(f"sign-in of {user} failed: {status} {data[:200]!r}")
    return json.loads(data)["token"]


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.light = []       # seconds
        self.delta = []
        self.writes = []
        self.statuses = {}    # status → count
        self.errors = []      # transport errors and 5xx bodies
        self.acked = []       # (record id, version)
        self.not_modified = 0

    def count(self, status, what, body=b""):
        with self.lock:
            self.statuses[status] = self.statuses.get(status, 0) + 1
            if status >= 500:
                self.errors.append(f"{what}: {status} {body[:200]!r}")


def percentile(values, p):
    if not values:
        return float("nan")
    values = sorted(values)
    k = min(len(values) - 1, max(0, int(round(p / 100.0 * len(values) + 0.5)) - 1))
    return values[k]


def poller(host, port, token, stop, stats, interval, rng):
    client = Client(host, port, token)
    etag = None
    revision = 0
    # Spread the first polls over one interval, as clients started at
    # different times would be.
    if stop.wait(rng.uniform(0, interval)):
        return
    while not stop.is_set():
        headers = {"If-None-Match": etag} if etag else {}
        start = time.monotonic()
        try:
            status, new_etag, body = client.request("GET", LIGHT, headers=headers)
        except Exception as e:  # noqa: BLE001 — every failure is reported
            with stats.lock:
                stats.errors.append(f"light check: {e!r}")
            client.close()
            stop.wait(interval)
            continue
        elapsed = time.monotonic() - start
        stats.count(status, "light check", body)
        with stats.lock:
            stats.light.append(elapsed)
            if status == 304:
                stats.not_modified += 1
        if status == 200:
            etag = new_etag
            new_revision = json.loads(body)["revision"]
            if new_revision != revision:
                start = time.monotonic()
                try:
                    dstatus, _, dbody = client.request("GET", f"{RECORDS}?since={revision}")
                except Exception as e:  # noqa: BLE001
                    with stats.lock:
                        stats.errors.append(f"delta: {e!r}")
                    client.close()
                    continue
                stats.count(dstatus, "delta", dbody)
                with stats.lock:
                    stats.delta.append(time.monotonic() - start)
                if dstatus == 200:
                    revision = json.loads(dbody)["revision"]
        # jittered, so the pollers do not move in lockstep
        stop.wait(interval * rng.uniform(0.8, 1.2))
    client.close()


def writer(index, host, port, token, stop, stats, rng):
    client = Client(host, port, token)
    mine = []   # [record id, last version]
    i = 0
    while not stop.is_set():
        key = str(uuid.uuid4())
        if not mine or i % 4 == 0:
            rid = str(uuid.uuid4())
            method, path = "POST", RECORDS
            body = {"id": rid, "data": {"name": f"load w{index} #{i}", "stock": i, "price": i / 10.0}}
        else:
            entry = rng.choice(mine)
            rid = entry[0]
            method, path = "PATCH", f"{RECORDS}/{rid}"
            body = {"base_version": entry[1], "data": {"stock": i}}
        start = time.monotonic()
        try:
            status, _, payload = client.request(method, path, body, {"Idempotency-Key": key})
        except Exception as e:  # noqa: BLE001
            with stats.lock:
                stats.errors.append(f"write: {e!r}")
            client.close()
            i += 1
            continue
        elapsed = time.monotonic() - start
        stats.count(status, f"{method} {path}", payload)
        if 200 <= status < 300:
            record = json.loads(payload)
            version = record["version"]
            with stats.lock:
                stats.writes.append(elapsed)
                stats.acked.append((rid, version))
            if method == "POST":
                mine.append([rid, version])
            else:
                entry[1] = version
        i += 1
    client.close()


def read_audit(host, port, token):
    client = Client(host, port, token)
    entries = []
    after = 0
    while True:
        status, _, body = client.request("GET", f"{AUDIT}?after={after}&limit=1000")
        if status != 200:
            sys.exit(f"audit read failed: {status} {body[:200]!r}")
        page = json.loads(body)["entries"]
        if not page:
            break
        entries.extend(page)
        after = page[-1]["id"]
    client.close()
    return entries


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", default=os.environ.get("NAVETTE_SERVER_BINARY", "navette-server"))
    parser.add_argument("--pollers", type=int, default=200)
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds")
    parser.add_argument("--poll-interval", type=float, default=1.0,
                        help="seconds between two light checks of one client (the engine's default is 30)")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--db", help="postgresql:// URL of an empty database (default: a temporary SQLite file)")
    parser.add_argument("--servers", type=int, default=1, help="server processes on the one database")
    args = parser.parse_args()

    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    tmp = tempfile.mkdtemp(prefix="navette-load-")
    db = args.db or os.path.join(tmp, "navette.db")
    servers = []   # (process, drain, host, port)
    try:
        subprocess.run([args.server, "demo", "--db", db], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(args.servers):
            # every client comes from 127.0.0.1: lift the per-address cap (64)
            servers.append(start_server(args.server, db,
                                        ["--max-connections-per-address",
                                         str(2 * (args.pollers + args.writers))]))
        host, port = servers[0][2], servers[0][3]

        # Sign-ins are argon2id: a few sessions shared by the clients.
        reader_tokens = [login(host, port, "bob") for _ in range(4)]
        writer_tokens = [login(host, port, "alice") for _ in range(2)]
        admin_token = login(host, port, "admin")

        stats = Stats()
        stop = threading.Event()
        threads = []
        for n in range(args.pollers):
            t = threading.Thread(target=poller, daemon=True,
                                 args=(*servers[n % len(servers)][2:], reader_tokens[n % len(reader_tokens)], stop, stats,
                                       args.poll_interval, random.Random(seed + n)))
            threads.append(t)
        for n in range(args.writers):
            t = threading.Thread(target=writer, daemon=True,
                                 args=(n, *servers[n % len(servers)][2:], writer_tokens[n % len(writer_tokens)], stop, stats,
                                       random.Random(seed + 100000 + n)))
            threads.append(t)

        print(f"navette load test: {args.pollers} polling clients (every {args.poll_interval:g} s), "
              f"{args.writers} writers, {args.duration:g} s, seed {seed}, "
              f"{args.servers} server(s) on {'PostgreSQL' if db.startswith('postgresql:') else 'SQLite'}",
              flush=True)
        began = time.monotonic()
        for t in threads:
            t.start()
        time.sleep(args.duration)
        stop.set()
        for t in threads:
            t.join(timeout=120)
        ran = time.monotonic() - began

        audit = read_audit(host, port, admin_token)
        audited = {}
        for e in audit:
            if e.get("table") == TABLE and e.get("record"):
                key = (e["record"], e["to_version"])
                audited[key] = audited.get(key, 0) + 1
        missing = [a for a in stats.acked if audited.get(a, 0) == 0]
        doubled = [a for a in stats.acked if audited.get(a, 0) > 1]
        dup_acks = len(stats.acked) - len(set(stats.acked))

        n5xx = sum(c for s, c in stats.statuses.items() if s >= 500)
        ms = 1000.0
        print(f"ran {ran:.1f} s; answers by status: "
              + ", ".join(f"{s}: {c}" for s, c in sorted(stats.statuses.items())))
        print(f"light checks: {len(stats.light)} ({len(stats.light) / ran:.0f}/s, {stats.not_modified} × 304), "
              f"p50 {percentile(stats.light, 50) * ms:.2f} ms, p99 {percentile(stats.light, 99) * ms:.2f} ms")
        print(f"delta reloads: {len(stats.delta)}, p50 {percentile(stats.delta, 50) * ms:.2f} ms, "
              f"p99 {percentile(stats.delta, 99) * ms:.2f} ms")
        print(f"writes acknowledged: {len(stats.acked)} ({len(stats.acked) / ran:.0f}/s), "
              f"p50 {percentile(stats.writes, 50) * ms:.2f} ms, p99 {percentile(stats.writes, 99) * ms:.2f} ms")

        ok = True
        if n5xx == 0 and not stats.errors:
            print("check: zero 5xx, no transport error — ok")
        else:
            ok = False
            print(f"check: {n5xx} 5xx answer(s), {len(stats.errors)} error(s) — FAILED")
            for e in stats.errors[:10]:
                print(f"  {e}")
        if not missing and not doubled and dup_acks == 0:
            print(f"check: all {len(stats.acked)} acknowledged writes are in the audit, once each — ok")
        else:
            ok = False
            print(f"check: {len(missing)} acknowledged write(s) missing from the audit, {len(doubled)} audited "
                  f"twice, {dup_acks} version(s) acknowledged twice — FAILED")
            for m in (missing + doubled)[:10]:
                print(f"  {m}")
        if len(stats.acked) == 0 or len(stats.light) == 0:
            ok = False
            print("check: nothing was measured — FAILED")
        return 0 if ok else 1
    finally:
        for proc, drain, _, _ in servers:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            drain.wait()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
