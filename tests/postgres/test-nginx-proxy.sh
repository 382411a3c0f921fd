#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# test-nginx-proxy.sh CONF — the example nginx configuration, for real:
# two navette-server processes on one PostgreSQL database (the cluster of
# NAVETTE_TEST_PG_URL) behind nginx running CONF, with a self-signed
# certificate, on loopback ports. Checks TLS, the redirect from HTTP, a
# session opened through the proxy, a write and the light check through
# it, and that nginx itself refuses a body over client_max_body_size.
# Prints TAP; skipped without nginx or curl.
set -u

conf=$1
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
if [ ! -x "$NGINX" ] || ! command -v curl >/dev/null 2>&1; then
  echo "1..0 # SKIP needs nginx and curl"
  exit 0
fi
if [ -z "${NAVETTE_TEST_PG_URL:-}" ] || [ -z "${NAVETTE_SERVER_BINARY:-}" ]; then
  echo "1..0 # SKIP needs NAVETTE_TEST_PG_URL and NAVETTE_SERVER_BINARY"
  exit 0
fi

dir=$(mktemp -d "${TMPDIR:-/tmp}/navette-nginx-XXXXXX")
dbname="navette_nginx_$$"
db="${NAVETTE_TEST_PG_URL%/*}/$dbname"
pids=""

cleanup () {
  if [ -f "$dir/nginx.pid" ]; then
    kill "$(cat "$dir/nginx.pid")" 2>/dev/null
  fi
  for pid in $pids; do
    kill "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  done
  psql -q "$NAVETTE_TEST_PG_URL" -c "DROP DATABASE IF EXISTS $dbname WITH (FORCE)" >/dev/null 2>&1
  rm -rf "$dir"
}
trap cleanup EXIT

n=0
failed=0
check () {
  n=$((n + 1))
  if [ "$2" = "$3" ]; then
    echo "ok $n $1"
  else
    echo "not ok $n $1: got '$2', expected '$3'"
    failed=1
  fi
}

free_port () {
  python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

echo "1..8"

psql -q "$NAVETTE_TEST_PG_URL" -c "CREATE DATABASE $dbname" >/dev/null || exit 1
"$NAVETTE_SERVER_BINARY" demo --db "$db" >/dev/null 2>&1 || { echo "Bail out! demo failed"; exit 1; }

# Two servers; each prints "listening on http://127.0.0.1:PORT" once ready.
ports=""
for i in 1 2; do
  mkfifo "$dir/out$i"
  "$NAVETTE_SERVER_BINARY" serve --db "$db" --listen 127.0.0.1:0 --max-connections-per-address 0 \
    >"$dir/out$i" 2>"$dir/err$i" &
  pids="$pids $!"
  exec 3<"$dir/out$i"
  port=""
  while read -r line <&3; do
    case "$line" in
      *"listening on http://"*) port=${line##*:}; break ;;
    esac
  done
  # Keep draining the access log in the background.
  cat <&3 >/dev/null &
  exec 3<&-
  [ -n "$port" ] || { echo "Bail out! server $i did not start: $(cat "$dir/err$i")"; exit 1; }
  ports="$ports $port"
done
set -- $ports
port_a=$1
port_b=$2

https_port=$(free_port)
http_port=$(free_port)
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=navette.example.org \
  -keyout "$dir/privkey.pem" -out "$dir/fullchain.pem" >/dev/null 2>&1
mkdir -p "$dir/logs"
sed -e "s|/etc/letsencrypt/live/navette.example.org|$dir|g" \
    -e "s|/var/log/nginx|$dir/logs|g" \
    -e "s|server 127.0.0.1:8081 |server 127.0.0.1:$port_a |" \
    -e "s|server 127.0.0.1:8082 |server 127.0.0.1:$port_b |" \
    -e "s|listen 443 ssl http2;|listen 127.0.0.1:$https_port ssl http2;|" \
    -e "s|listen 80;|listen 127.0.0.1:$http_port;|" \
    -e "/listen \[::\]/d" \
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
if ! "$NGINX" -p "$dir" -c "$dir/nginx.conf" 2>"$dir/nginx.err"; then
  echo "Bail out! nginx did not start: $(cat "$dir/nginx.err")"
  exit 1
fi

base="https://127.0.0.1:$https_port"
curl_k () {
  curl -sk --max-time 20 --resolve "navette.example.org:$https_port:127.0.0.1" "$@"
}

check "health through nginx (TLS)" \
  "$(curl_k -o /dev/null -w '%{http_code}' "$base/api/v1/health")" 200
check "plain HTTP is redirected to HTTPS" \
  "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$http_port/api/v1/health")" 301

token=$(curl_k -H 'Content-Type: application/json' \
  -d '{"username": "alice", "password": "navette-demo"}' "$base/api/v1/sessions" |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])')
check "sign in through nginx" "$([ -n "$token" ] && echo yes)" yes

products="$base/api/v1/applications/catalogue/tables/products"
revision=$(curl_k -H "Authorization: Bearer $token" "$products/last-modified" |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["revision"])')
check "a no-change light check is 304 through nginx" \
  "$(curl_k -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token" \
       -H "If-None-Match: \"$revision\"" "$products/last-modified")" 304

check "a write through nginx" \
  "$(curl_k -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token" \
       -H 'Content-Type: application/json' -d '{"data": {"name": "Proxied"}}' "$products/records")" 201

# Whichever server answers, every light check now sees the write.
seen=0
for _ in 1 2 3 4; do
  code=$(curl_k -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token" \
           -H "If-None-Match: \"$revision\"" "$products/last-modified")
  [ "$code" = 200 ] && seen=$((seen + 1))
done
check "the write is seen by every following light check" "$seen" 4

python3 -c 'import sys; sys.stdout.write("{\"data\": {\"name\": \"" + "x" * (2 * 1024 * 1024) + "\"}}")' >"$dir/big.json"
check "nginx refuses a body over client_max_body_size" \
  "$(curl_k -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token" \
       -H 'Content-Type: application/json' --data-binary "@$dir/big.json" "$products/records")" 413

# nginx's own access log (the path rewritten into the prefix).
hits_a=$(grep -c 'api/v1' "$dir/logs/navette.access.log" 2>/dev/null || echo 0)
check "nginx logged the proxied requests" "$([ "$hits_a" -ge 8 ] && echo yes)" yes

exit $failed
