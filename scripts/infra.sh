#!/usr/bin/env bash
# The servers the engine needs: PostgreSQL and Redis (started if installed but down), and
# the local Kafka broker with every contract topic.
#   scripts/infra.sh up | down | status
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

pg_up() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }
redis_up() { [ "$(redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null)" = PONG ]; }

wait_for() {
  local what=$1 check=$2
  for _ in $(seq 1 30); do $check && return 0; sleep 1; done
  echo "infra: $what did not come up within 30 s" >&2
  return 1
}

ensure_postgres() {
  if pg_up; then echo "infra: PostgreSQL answering on 127.0.0.1:5432"; return; fi
  command -v pg_ctlcluster >/dev/null || { echo "infra: PostgreSQL is down and not installed here; install PostgreSQL 15 or point DATABASE_URL at one" >&2; exit 1; }
  echo "infra: starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start
  wait_for PostgreSQL pg_up
}

ensure_redis() {
  if redis_up; then echo "infra: Redis answering on 127.0.0.1:6379"; return; fi
  command -v redis-server >/dev/null || { echo "infra: Redis is down and not installed here; install Redis 7 or point REDIS_URL at one" >&2; exit 1; }
  echo "infra: starting Redis"
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
  wait_for Redis redis_up
}

case "${1:-}" in
  up)
    ensure_postgres
    ensure_redis
    bash scripts/kafka.sh start
    if [ -x node_modules/.bin/tsx ]; then
      node_modules/.bin/tsx scripts/create-topics.ts
    else
      echo "infra: node_modules missing, topics not created yet (run npm ci; the services create them at start too)"
    fi
    ;;
  down) bash scripts/kafka.sh stop ;;
  status)
    pg_up && echo "infra: PostgreSQL up" || echo "infra: PostgreSQL down"
    redis_up && echo "infra: Redis up" || echo "infra: Redis down"
    bash scripts/kafka.sh status || true
    ;;
  *) echo "usage: scripts/infra.sh up|down|status" >&2; exit 2 ;;
esac
