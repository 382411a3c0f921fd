# SPDX-License-Identifier: GPL-3.0-or-later
"""What the Python benchmarks of tests/bench share: starting the real
navette-server, plain HTTP requests, signing in, walking a paged list and
reading a process's memory."""

import http.client
import json
import re
import subprocess
import sys
import urllib.parse


def start_server(binary, db, extra=()):
    """Starts `navette-server serve` on a free loopback port: (process,
    drain, host, port); its access log goes nowhere (a `cat` drains the
    pipe)."""
    proc = subprocess.Popen([binary, "serve", "--db", db, "--listen", "127.0.0.1:0", *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    lines = []
    while True:
        line = proc.stdout.readline()
        lines.append(line)
        match = re.search(r"listening on http://([\d.]+):(\d+)", line)
        if match:
            break
        if not line:
            proc.kill()
            sys.exit(f"navette-server did not start: {''.join(lines)!r}")
    drain = subprocess.Popen(["cat"], stdin=proc.stdout, stdout=subprocess.DEVNULL)
    return proc, drain, match.group(1), int(match.group(2))


def stop_server(proc, drain):
    proc.terminate()
    proc.wait()
    drain.wait()


def request(host, port, method, path, token=None, body=None, headers=None):
    conn = http.client.HTTPConnection(host, port, timeout=600)
    h = dict(headers or {})
    if token:
        h["Authorization"] = f"Bearer {token}"
    if body is not None:
        h["Content-Type"] = "application/json"
        body = json.dumps(body).encode()
    conn.request(method, path, body=body, headers=h)
    resp = conn.getresponse()
    data = resp.read()
    conn.close()
    return resp.status, dict(resp.getheaders()), data


def login(host, port, user="alice"):
    status, _, data = request(host, port, "POST", "/api/v1/sessions",
                              body={"username": user, "password": "navette-demo"})
    assert status == 200 or status == 201, (status, data)
    return json.loads(data)["token"]


def walk(host, port, token, path, limit=None, parse=True):
    """Every page of a list (following "next"; a server without paging
    answers once): (records, pages, bytes). Without @parse the pages are
    only fetched (records is None): "next" is read from the end of each
    page, where the server writes it."""
    records = [] if parse else None
    pages = size = 0
    after = None
    while True:
        query = {}
        if limit:
            query["limit"] = str(limit)
        if after:
            query["after"] = after
        url = path + ("?" + urllib.parse.urlencode(query) if query else "")
        status, _, data = request(host, port, "GET", url, token)
        assert status == 200, (status, data[:200])
        pages += 1
        size += len(data)
        if parse:
            answer = json.loads(data)
            records += answer.get("records", answer.get("versions", []))
            after = answer.get("next")
        else:
            match = re.search(rb'"next":"([A-Za-z0-9_-]+)"}$', data[-256:])
            after = match.group(1).decode() if match else None
        if not after:
            return records, pages, size


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0
