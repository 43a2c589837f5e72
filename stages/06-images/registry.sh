#!/bin/sh
# A throwaway local registry for the stage 6 notes: Debian's docker-registry (the CNCF
# "distribution" registry) with our own config, never the packaged service (that one wants
# htpasswd and :5000).
#   sh stages/06-images/registry.sh start [PORT]   → prints 127.0.0.1:PORT, storage in a temp dir
#   sh stages/06-images/registry.sh stop           → stops it and removes its storage
set -eu
STATE=${MINIDOCK_REGISTRY_STATE:-/tmp/minidock-registry-$(id -u)}
case "${1:-}" in
start)
  PORT=${2:-5077}
  mkdir -p "$STATE/data"
  cat > "$STATE/config.yml" <<CONF
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $STATE/data
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$PORT
CONF
  docker-registry serve "$STATE/config.yml" > "$STATE/log" 2>&1 &
  echo $! > "$STATE/pid"
  for _ in $(seq 50); do
    curl -fs "http://127.0.0.1:$PORT/v2/" > /dev/null 2>&1 && { echo "127.0.0.1:$PORT"; exit 0; }
    sleep 0.1
  done
  echo "registry did not start; see $STATE/log" >&2; exit 1 ;;
stop)
  [ -f "$STATE/pid" ] && kill "$(cat "$STATE/pid")" 2>/dev/null || true
  rm -rf "$STATE" ;;
*) echo "usage: $0 start [PORT] | stop" >&2; exit 2 ;;
esac
