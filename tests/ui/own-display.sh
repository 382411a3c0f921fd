#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Runs one UI test program on an X server of its own (Xvfb), so that the
# UI tests can run in parallel: each test's keys, clicks and focus stay on
# its own display. Without Xvfb the test runs on $DISPLAY as given.
set -u

if ! command -v Xvfb >/dev/null 2>&1; then
  exec "$@"
fi

displayfile=$(mktemp)
Xvfb -displayfd 3 -screen 0 1280x800x24 -nolisten tcp 3>"$displayfile" >/dev/null 2>&1 &
xvfb_pid=$!
trap 'kill "$xvfb_pid" 2>/dev/null; rm -f "$displayfile"' EXIT INT TERM

# Xvfb writes its display number once it accepts clients.
tries=0
while [ ! -s "$displayfile" ] && [ "$tries" -lt 200 ]; do
  if ! kill -0 "$xvfb_pid" 2>/dev/null; then
    echo "own-display.sh: Xvfb exited before it was ready" >&2
    exit 1
  fi
  sleep 0.05
  tries=$((tries + 1))
done
if [ ! -s "$displayfile" ]; then
  echo "own-display.sh: Xvfb did not start within 10 s" >&2
  exit 1
fi

DISPLAY=":$(head -n1 "$displayfile")"
export DISPLAY
status=0
"$@" || status=$?
exit "$status"
