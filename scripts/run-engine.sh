#!/usr/bin/env bash
# Runs the whole engine: Kafka (and PostgreSQL/Redis if down), then the three services, each
# its own process. Ctrl-C stops the services; the broker keeps running (scripts/kafka.sh stop).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
[ -f dist/apps/dispatcher/src/main.js ] || { echo "not built yet: run npm run build first" >&2; exit 1; }
bash scripts/infra.sh up

pids=()
stop() {
  echo "stopping services..."
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait || true
}
trap stop INT TERM

for service in dispatcher scoring audit; do
  # 64 MB semi-spaces: see docs/decisions.md ("Services run with 64 MB semi-spaces").
  node --max-semi-space-size=64 "dist/apps/$service/src/main.js" > >(sed -u "s/^/[$service] /") 2>&1 &
  pids+=($!)
done
echo "dispatcher http://127.0.0.1:${DISPATCHER_PORT:-3001}  scoring http://127.0.0.1:${SCORING_PORT:-3002}  audit http://127.0.0.1:${AUDIT_PORT:-3003}"
wait
