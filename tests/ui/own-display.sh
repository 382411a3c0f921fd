#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Runs one UI test program on an X server of its own (Xvfb), so that the
# UI tests can run in parallel: each test's keys, clicks and focus stay on
# its own display. Without Xvfb the test runs on $DISPLAY as given.
set -u

if ! command -v Xvfb >/dev/null 2>&1; then
  exec "$@"
fi

# Xvfb writes its display number to a pipe once it accepts clients:
# reading it waits for that (no polling); an Xvfb that exits first ends
# the pipe with nothing read.
fifodir=$(mktemp -d)
mkfifo -m 600 "$fifodir/display"
Xvfb -displayfd 3 -screen 0 1280x800x24 -nolisten tcp 3>"$fifodir/display" >/dev/null 2>&1 &
xvfb_pid=$!
trap 'kill "$xvfb_pid" 2>/dev/null; rm -rf "$fifodir"' EXIT INT TERM

display=$(timeout 10 head -n1 "$fifodir/display")
if [ -z "$display" ]; then
  echo "own-display.sh: Xvfb exited, or was not ready within 10 s" >&2
  exit 1
fi

DISPLAY=":$display"
export DISPLAY
status=0
"$@" || status=$?
exit "$status"
