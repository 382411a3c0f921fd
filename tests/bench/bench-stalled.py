#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Stalled readers: the server's memory while clients do not read their answers.

Fills catalogue.products to --rows rows (60 000 by default), starts the
server with --request-timeout 10, and opens 3 connections that each ask
for the table's records and then never read: GET …/records without
`limit` (the default page), with the largest page (10 000), and with
`--max-page-size 100000` the whole table in one answer (larger than the
kernel's socket buffers, so the server holds the rest). Prints the
server's resident memory (VmRSS) before, its peak while they are
stalled, and when the server closed each of them (the send deadline, as
/proc/net/tcp shows the server's end), as well as the size of the
answers a reading client gets.

With --before OLD_BINARY (a build of an older commit), the same for that
binary on the same database, so one run prints the before/after.

Run by hand:   tests/bench/bench-stalled.py --server build/src/server/navette-server
or with meson: meson test -C build --benchmark bench-stalled
"""

import argparse
import os
import shutil
import socket
import subprocess
import tempfile
import time

from navette_bench import login, request, rss_kib, start_server, stop_server

RECORDS = "/api/v1/applications/catalogue/tables/products/records"


def get_raw(path, token):
    return (f"GET {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\r\n").encode()


def server_end_established(server_port, client_port):
    """Whether the server's end of that loopback connection is still
    established (/proc/net/tcp): a FIN queued behind unread data never
    reaches a client that does not read, so the client cannot tell."""
    with open("/proc/net/tcp") as f:
        next(f)
        for line in f:
            fields = line.split()
            local, remote, state = fields[1], fields[2], fields[3]
            if local.endswith(f":{server_port:04X}") and remote.endswith(f":{client_port:04X}"):
                return state == "01"
    return False


def stalled(binary, db, label, query, timeout, extra=(), readers=3, watch=20.0):
    proc, drain, host, port = start_server(binary, db, ["--request-timeout", str(timeout), *extra])
    try:
        token = login(host, port)
        path = RECORDS + query
        status, _, data = request(host, port, "GET", path, token)
        assert status == 200, status
        size = len(data)
        del data
        time.sleep(1.0)
        before = rss_kib(proc.pid)
        socks = []
        for _ in range(readers):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            s.connect((host, port))
            s.sendall(get_raw(path, token))
            socks.append(s)
        start = time.monotonic()
        peak = before
        closed = {}
        while time.monotonic() - start < watch and len(closed) < readers:
            peak = max(peak, rss_kib(proc.pid))
            for i, s in enumerate(socks):
                if i not in closed and not server_end_established(port, s.getsockname()[1]):
                    closed[i] = time.monotonic() - start
            time.sleep(0.1)
        after = rss_kib(proc.pid)
        for s in socks:
            s.close()
        shut = ", ".join(f"{closed[i]:.1f} s" for i in sorted(closed)) or "none"
        print(f"{label} {readers} stalled readers of GET …/records{query} "
              f"(answer {size / 1e6:.2f} MB): RSS {before / 1024:.0f} MiB before, "
              f"peak {peak / 1024:.0f} MiB (+{(peak - before) / 1024:.0f} MiB), "
              f"{after / 1024:.0f} MiB at the end; closed by the server after: {shut} "
              f"(of {readers}; --request-timeout {timeout}, watched {watch:.0f} s)")
    finally:
        stop_server(proc, drain)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", default=os.environ.get("NAVETTE_SERVER_BINARY", "navette-server"))
    parser.add_argument("--rows", type=int, default=60000)
    parser.add_argument("--timeout", type=int, default=10)
    parser.add_argument("--before", help="another navette-server binary to measure the same way")
    args = parser.parse_args()

    tmp = tempfile.mkdtemp(prefix="navette-bench-")
    db = os.path.join(tmp, "bench.db")
    try:
        subprocess.run([args.server, "demo", "--db", db], check=True, stdout=subprocess.DEVNULL)
        subprocess.run([args.server, "demo", "--db", db, "--rows", str(args.rows)], check=True,
                       stdout=subprocess.DEVNULL)
        if args.before:
            stalled(args.before, db, f"before ({os.path.basename(args.before)}):", "", args.timeout)
        for query in ("", "?limit=10000"):
            stalled(args.server, db, "after:", query, args.timeout)
        # an answer larger than the kernel's socket buffers (4 MiB on
        # loopback): the server holds the rest until the send deadline
        stalled(args.server, db, "after, --max-page-size 100000:", f"?limit={args.rows}", args.timeout,
                ["--max-page-size", "100000"])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
