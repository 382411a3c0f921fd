#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark of navette-server (not a timed test).

Starts the server on demo data, signs in, and prints:
  - no-change light checks per second (wrk, 50 connections, 2 threads,
    10 s, with the token and If-None-Match),
  - bytes on the wire per no-change poll (request + response, headers
    included, measured on a raw socket with the request wrk sends),
  - the body size of a 200 light check,
  - a full reload of 10 000 and 100 000 rows (time, bytes; 3 runs each,
    target for 100 000 rows: <= 400 ms): every page of GET …/records,
    of the server's default size and of its largest,
  - with --before OLD_BINARY (e.g. a build of an older commit), the same
    full reloads answered by that binary on the same database, so one
    run prints the before/after of the record list (a server without
    paging answers it in one page),
  - with --metrics, the no-change polls/s of servers without and with
    --metrics-listen, alternating, 3 rounds each (the cost of counting).

Run by hand:   tests/bench/bench-server.py --server build/src/server/navette-server
or with meson: meson test -C build --benchmark
"""

import argparse
import json
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import tempfile
import time

from navette_bench import login, request, start_server, stop_server, walk

LIGHT = "/api/v1/applications/catalogue/tables/products/last-modified"
APP_LIGHT = "/api/v1/applications/catalogue/last-modified"
RECORDS = "/api/v1/applications/catalogue/tables/products/records"


def wire_bytes(host, port, token, etag):
    """One no-change poll on a raw socket, exactly as wrk sends it."""
    req = (f"GET {LIGHT} HTTP/1.1\r\n"
           f"Host: {host}:{port}\r\n"
           f"Authorization: Bearer {token}\r\n"
           f"If-None-Match: {etag}\r\n"
           "\r\n").encode()
    with socket.create_connection((host, port)) as s:
        s.sendall(req)
        resp = b""
        while b"\r\n\r\n" not in resp:
            chunk = s.recv(4096)
            if not chunk:
                break
            resp += chunk
    status_line = resp.split(b"\r\n", 1)[0].decode()
    return len(req), len(resp), status_line, resp.decode(errors="replace")


def run_wrk(host, port, token, etag, duration, path=LIGHT):
    if shutil.which("wrk") is None:
        return None, "wrk not installed"
    out = subprocess.run(["wrk", "-t2", "-c50", f"-d{duration}s",
                          "-H", f"Authorization: Bearer {token}",
                          "-H", f"If-None-Match: {etag}",
                          f"http://{host}:{port}{path}"],
                         capture_output=True, text=True).stdout
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        return None, f"wrk saw {errors.group(1)} error answers:\n{out}"
    return (float(match.group(1)) if match else None), out


def fill_rows(binary, db, rows):
    """Adds @rows products: `demo --rows N` when the server has it, else
    plain SQL (which the triggers see like any other write)."""
    helptext = subprocess.run([binary, "demo", "--help"], capture_output=True, text=True).stdout
    if "--rows" in helptext:
        subprocess.run([binary, "demo", "--db", db, "--rows", str(rows)], check=True,
                       stdout=subprocess.DEVNULL)
        return "demo --rows"
    con = sqlite3.connect(db)
    con.execute("BEGIN")
    con.executemany('INSERT INTO "catalogue.products" (name, price, stock, published) VALUES (?, ?, ?, ?)',
                    ((f"Product {i}", i * 0.5, i % 100, i % 2) for i in range(rows)))
    con.commit()
    con.close()
    return "plain SQL"


def reload(host, port, token, limit=None):
    """A full reload: every page of the records (a server without paging
    answers them all at once), fetched only, then fetched and decoded:
    (count, fetch seconds, fetch and decode seconds, bytes, pages)."""
    start = time.monotonic()
    walk(host, port, token, RECORDS, limit, parse=False)
    fetched = time.monotonic() - start
    start = time.monotonic()
    records, pages, size = walk(host, port, token, RECORDS, limit)
    decoded = time.monotonic() - start
    return len(records), fetched, decoded, size, pages


def reloads(host, port, token, runs=3, limit=None):
    """@runs full reloads: (count, [fetch seconds…], [with decoding…], bytes, pages)."""
    fetches = []
    decodes = []
    count = size = pages = 0
    for _ in range(runs):
        count, fetched, decoded, size, pages = reload(host, port, token, limit)
        fetches.append(fetched)
        decodes.append(decoded)
    return count, fetches, decodes, size, pages


def print_reloads(label, count, fetches, decodes, size, pages):
    ms = ", ".join(f"{t * 1000:.0f}" for t in fetches)
    line = (f"{label} full reload of {count} rows in {pages} page(s): answered and received in "
            f"{min(fetches) * 1000:.0f} ms best ({ms} ms); with Python's json.loads "
            f"{min(decodes) * 1000:.0f} ms best; {size} bytes ({size / max(count, 1):.0f} bytes/row)")
    if count >= 100000:
        line += f"  [target <= 400 ms: {'met' if min(fetches) <= 0.4 else 'NOT met'}]"
    print(line)


def time_binary(binary, db, label):
    """The full reload answered by another server binary on @db."""
    proc, drain, host, port = start_server(binary, db)
    try:
        token = login(host, port)
        print_reloads(label, *reloads(host, port, token))
    finally:
        stop_server(proc, drain)


def metrics_overhead(binary, db, duration, rounds=3):
    """No-change polls/s without and with --metrics-listen, alternating
    servers so that the machine's load falls on both alike."""
    rates = {"off": [], "on": []}
    for _ in range(rounds):
        for mode in ("off", "on"):
            extra = ["--metrics-listen", "127.0.0.1:0"] if mode == "on" else []
            proc, drain, host, port = start_server(binary, db, extra)
            try:
                token = login(host, port)
                status, headers, _ = request(host, port, "GET", LIGHT, token)
                assert status == 200
                rate, out = run_wrk(host, port, token, headers["ETag"], duration)
                if rate is None:
                    print(f"metrics overhead: n/a ({out.strip()})")
                    return
                rates[mode].append(rate)
            finally:
                stop_server(proc, drain)
    off = sorted(rates["off"])
    on = sorted(rates["on"])
    median_off = off[len(off) // 2]
    median_on = on[len(on) // 2]
    print(f"no-change polls/s (wrk -t2 -c50 -d{duration}s, {rounds} rounds each, alternating): "
          f"metrics off {', '.join(f'{r:.0f}' for r in rates['off'])} (median {median_off:.0f}); "
          f"on {', '.join(f'{r:.0f}' for r in rates['on'])} (median {median_on:.0f}); "
          f"overhead {(median_off - median_on) / median_off * 100:+.1f} %")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", default=os.environ.get("NAVETTE_SERVER_BINARY", "navette-server"))
    parser.add_argument("--duration", type=int, default=10, help="wrk duration in seconds")
    parser.add_argument("--rows", default="10000,100000", help="table sizes for the full reload")
    parser.add_argument("--before", help="another navette-server binary to time the same reloads with")
    parser.add_argument("--metrics", action="store_true",
                        help="also measure no-change polls/s with --metrics-listen against without")
    args = parser.parse_args()

    tmp = tempfile.mkdtemp(prefix="navette-bench-")
    db = os.path.join(tmp, "bench.db")
    try:
        subprocess.run([args.server, "demo", "--db", db], check=True, stdout=subprocess.DEVNULL)
        proc, drain, host, port = start_server(args.server, db)
        try:
            token = login(host, port)
            status, headers, body = request(host, port, "GET", LIGHT, token)
            assert status == 200
            etag = headers["ETag"]
            print(f"light check 200 body: {len(body)} bytes  {body.decode()}"
                  f"  [target < 100: {'met' if len(body) < 100 else 'NOT met'}]")

            req_len, resp_len, status_line, raw = wire_bytes(host, port, token, etag)
            print(f"no-change poll on the wire: {req_len + resp_len} bytes "
                  f"(request {req_len} + response {resp_len}; {status_line})"
                  f"  [target <= 300: {'met' if req_len + resp_len <= 300 else 'NOT met'}]")

            rate, out = run_wrk(host, port, token, etag, args.duration)
            if rate is None:
                print(f"no-change polls/s: n/a ({out.strip()})")
            else:
                print(f"no-change polls/s (wrk -t2 -c50 -d{args.duration}s): {rate:.0f}"
                      f"  [target >= 10000: {'met' if rate >= 10000 else 'NOT met'}]")

            status, headers, body = request(host, port, "GET", APP_LIGHT, token)
            assert status == 200
            rate, out = run_wrk(host, port, token, headers["ETag"], max(1, args.duration // 2), APP_LIGHT)
            if rate is not None:
                print(f"no-change application light checks/s (wrk, {max(1, args.duration // 2)} s): {rate:.0f}"
                      f"  (200 body {len(body)} bytes)")

            have = 0
            for rows in [int(r) for r in args.rows.split(",") if r]:
                method = fill_rows(args.server, db, rows - have)
                have = rows
                print_reloads(f"({method} fill, pages of the default size)", *reloads(host, port, token))
                print_reloads(f"({method} fill, pages of the largest size)",
                              *reloads(host, port, token, limit=1000000))
        finally:
            stop_server(proc, drain)
        if args.metrics:
            metrics_overhead(args.server, db, args.duration)
        if args.before:
            time_binary(args.before, db, f"before ({os.path.basename(args.before)}):")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
