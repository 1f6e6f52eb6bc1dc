#!/usr/bin/env bash
# The servers the engine needs, all on 127.0.0.1: PostgreSQL (5432), Redis (6379) and the local
# Kafka broker (9092) with every contract topic.
#
#   scripts/infra.sh up       start whatever is down (PostgreSQL and Redis if installed here; Kafka
#                             from Maven Central jars with Java 17 and Maven), wait for each, then
#                             create the topics; what cannot be started here is started with Docker
#                             (infra/servers/compose.yml) where a Docker engine answers
#   scripts/infra.sh down     stop the Kafka broker started from this tree; PostgreSQL and Redis
#                             are shared with other work on the machine and stay up
#   scripts/infra.sh status   one line each; exit 0 only if all three answer
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

say() { echo "infra: $*"; }
die() { echo "infra: $*" >&2; exit 1; }

pg_up() { pg_isready -q -h 127.0.0.1 -p 5432 >/dev/null 2>&1; }
# Only a Docker engine that answers counts: a client alone cannot run anything.
docker_up() { command -v docker >/dev/null && docker info >/dev/null 2>&1; }
compose_up() {
  say "starting $* with Docker (infra/servers/compose.yml)"
  docker compose -f infra/servers/compose.yml up -d --wait "$@" || die "docker compose could not start $* (docker compose -f infra/servers/compose.yml logs $*)"
}
redis_up() { [ "$(redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null)" = PONG ]; }

# wait_for CHECK SECONDS: polls CHECK every half second.
wait_for() {
  local i
  for ((i = 0; i < $2 * 2; i++)); do "$1" && return 0; sleep 0.5; done
  return 1
}

ensure_postgres() {
  if pg_up; then say "PostgreSQL answers on 127.0.0.1:5432"; return; fi
  if ! { command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; }; then
    docker_up && { compose_up postgres; return; }
    die "PostgreSQL is not answering on 127.0.0.1:5432, no local cluster is installed (apt-get install postgresql-15) and no Docker engine answers; or point DATABASE_URL at one. npm test needs none of this."
  fi
  local version
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  say "starting PostgreSQL $version"
  pg_ctlcluster --skip-systemctl-redirect "$version" main start \
    || die "pg_ctlcluster could not start PostgreSQL $version (see /var/log/postgresql/)"
  wait_for pg_up 30 || die "PostgreSQL did not answer on 127.0.0.1:5432 within 30 s (see /var/log/postgresql/)"
  say "PostgreSQL answers on 127.0.0.1:5432"
}

ensure_redis() {
  if redis_up; then say "Redis answers on 127.0.0.1:6379"; return; fi
  if ! command -v redis-server >/dev/null; then
    docker_up && { compose_up redis; return; }
    die "Redis is not answering on 127.0.0.1:6379, is not installed (apt-get install redis-server) and no Docker engine answers; or point REDIS_URL at one. npm test needs none of this."
  fi
  say "starting Redis"
  # No persistence: the engine treats Redis as a cache of state rebuilt from PostgreSQL.
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null \
    || die "redis-server could not start"
  wait_for redis_up 30 || die "Redis did not answer on 127.0.0.1:6379 within 30 s"
  say "Redis answers on 127.0.0.1:6379"
}

ensure_kafka() {
  if command -v java >/dev/null && command -v mvn >/dev/null; then
    bash scripts/kafka.sh start
  elif bash scripts/kafka.sh status >/dev/null 2>&1; then
    say "a Kafka broker answers on 127.0.0.1:9092"
  elif docker_up; then
    compose_up kafka
  else
    die "Kafka is not answering on 127.0.0.1:9092 and cannot be started here: it needs Java 17 and Maven (apt-get install openjdk-17-jre-headless maven; the jars come from Maven Central), or a Docker engine. npm test needs none of this."
  fi
}

create_topics() {
  if [ ! -f scripts/create-topics.ts ]; then
    say "scripts/create-topics.ts not there yet: no topics created"
  elif [ ! -x node_modules/.bin/tsx ]; then
    say "node_modules/.bin/tsx missing (run npm ci): no topics created"
  else
    node_modules/.bin/tsx scripts/create-topics.ts || die "creating the topics failed (above); the broker: bash scripts/kafka.sh status"
  fi
}

case "${1:-}" in
  up)
    ensure_postgres
    ensure_redis
    ensure_kafka
    create_topics
    ;;
  down)
    bash scripts/kafka.sh stop
    say "PostgreSQL and Redis left running"
    ;;
  status)
    ok=0
    if pg_up; then say "PostgreSQL up on 127.0.0.1:5432"; else say "PostgreSQL down"; ok=1; fi
    if redis_up; then say "Redis up on 127.0.0.1:6379"; else say "Redis down"; ok=1; fi
    bash scripts/kafka.sh status || ok=1
    exit "$ok"
    ;;
  *) echo "usage: scripts/infra.sh up|down|status" >&2; exit 2 ;;
esac
