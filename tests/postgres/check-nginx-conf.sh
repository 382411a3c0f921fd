#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# check-nginx-conf.sh CONF — checks the example nginx configuration with
# `nginx -t`: in a temporary prefix, with a self-signed certificate in
# place of the Let's Encrypt one and the logs in the prefix. Prints TAP.
set -eu

conf=$1
if ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ]; then
  echo "1..0 # SKIP nginx is not installed"
  exit 0
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

dir=$(mktemp -d "${TMPDIR:-/tmp}/navette-nginx-XXXXXX")
trap 'rm -rf "$dir"' EXIT
mkdir -p "$dir/logs"

openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=navette.example.org \
  -keyout "$dir/privkey.pem" -out "$dir/fullchain.pem" >/dev/null 2>&1

sed -e "s|/etc/letsencrypt/live/navette.example.org|$dir|g" \
    -e "s|/var/log/nginx|$dir/logs|g" \
    "$conf" >"$dir/navette.conf"

cat >"$dir/nginx.conf" <<CONF
pid $dir/nginx.pid;
error_log $dir/logs/error.log;
events {}
http {
  client_body_temp_path $dir/body;
  proxy_temp_path $dir/proxy;
  include $dir/navette.conf;
}
CONF

echo "1..1"
if "$NGINX" -t -q -p "$dir" -c "$dir/nginx.conf" 2>"$dir/out"; then
  echo "ok 1 nginx -t accepts $(basename "$conf")"
else
  sed 's/^/# /' "$dir/out"
  echo "not ok 1 nginx -t refuses $(basename "$conf")"
  exit 1
fi
