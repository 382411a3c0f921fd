#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Checks data/navette-server.service as built (TAP).

1. It parses, and says what a careful operator expects of a network
   service: its own dynamic user and state directory, a read-only
   system, no privileges, restart on failure, a descriptor limit for
   crowds, and Type=notify exactly when built with libsystemd.
2. `systemd-analyze verify` (it runs without a running systemd: Debian
   12's systemd package is enough) finds nothing to say, not even a
   warning about an unknown key.
3. `systemd-analyze security --offline=true` rates its exposure at 2.0
   or less (of 10).
Steps 2 and 3 are skipped where systemd-analyze is not installed.

Usage: check-service.py UNIT TYPE   (TYPE: notify or exec)
"""

import re
import shutil
import subprocess
import sys

EXPECTED = {
    "Service": {
        "DynamicUser": "yes",
        "StateDirectory": "navette",
        "ProtectSystem": "strict",
        "ProtectHome": "yes",
        "PrivateTmp": "yes",
        "PrivateDevices": "yes",
        "NoNewPrivileges": "yes",
        "CapabilityBoundingSet": "",
        "AmbientCapabilities": "",
        "RestrictAddressFamilies": "AF_INET AF_INET6 AF_UNIX",
        "Restart": "on-failure",
        "LimitNOFILE": "65536",
        "UMask": "0077",
    },
    "Install": {
        "WantedBy": "multi-user.target",
    },
}


def parse(path):
    sections, section = {}, None
    with open(path) as f:
        for number, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith(("#", ";")):
                continue
            match = re.fullmatch(r"\[([A-Za-z]+)\]", line)
            if match:
                section = sections.setdefault(match.group(1), {})
                continue
            key, equals, value = line.partition("=")
            if section is None or not equals or not re.fullmatch(r"[A-Za-z]+", key):
                raise SystemExit(f"{path}:{number}: not a unit line: {line!r}")
            section.setdefault(key, []).append(value)
    return sections


def main():
    unit, service_type = sys.argv[1], sys.argv[2]
    results = []

    sections = parse(unit)
    problems = []
    for name, keys in EXPECTED.items():
        for key, value in keys.items():
            values = sections.get(name, {}).get(key)
            if values is None or values[-1] != value:
                problems.append(f"[{name}] {key}={value} expected, found {values}")
    service = sections.get("Service", {})
    if service.get("Type") != [service_type]:
        problems.append(f"Type={service_type} expected, found {service.get('Type')}")
    if (service_type == "notify") != ("WatchdogSec" in service):
        problems.append("WatchdogSec= goes with Type=notify (sd_notify feeds it)")
    exec_start = service.get("ExecStart", [""])[0].split()
    if len(exec_start) < 2 or not exec_start[0].endswith("/navette-server") or exec_start[1] != "serve":
        problems.append(f"ExecStart= does not run navette-server serve: {exec_start}")
    results.append(("the unit has what a network service needs", problems, False))

    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        results.append(("systemd-analyze verify", [], True))
        results.append(("systemd-analyze security", [], True))
    else:
        verify = subprocess.run([analyze, "verify", unit], capture_output=True, text=True)
        said = (verify.stdout + verify.stderr).strip()
        results.append(("systemd-analyze verify", [said] if verify.returncode or said else [], False))
        security = subprocess.run([analyze, "security", "--offline=true", "--threshold=20", unit],
                                  capture_output=True, text=True)
        overall = [l for l in security.stdout.splitlines() if "Overall exposure" in l]
        print("# " + (overall[0] if overall else security.stderr.strip()))
        results.append(("systemd-analyze security: exposure 2.0 or less",
                        [security.stdout[-2000:] + security.stderr] if security.returncode else [], False))

    print(f"1..{len(results)}")
    failed = False
    for number, (name, problems, skipped) in enumerate(results, 1):
        if skipped:
            print(f"ok {number} {name} # SKIP systemd-analyze is not installed")
        elif problems:
            failed = True
            print(f"not ok {number} {name}")
            for problem in problems:
                for line in problem.splitlines():
                    print(f"# {line}")
        else:
            print(f"ok {number} {name}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
