#!/usr/bin/env bash
# A single-node Apache Kafka broker (KRaft: broker and controller in one JVM) on
# 127.0.0.1:9092, run from the jars Maven resolves from infra/kafka/pom.xml.
#
#   scripts/kafka.sh fetch           copy the broker's jars to .run/kafka/jars/<pom hash>/ (once per pom change)
#   scripts/kafka.sh start           start it and wait until it answers (does nothing if it already does)
#   scripts/kafka.sh stop            stop the broker started from this tree (SIGTERM, then SIGKILL after 30 s)
#   scripts/kafka.sh kill            SIGKILL it at once, as a crash would (fault tests); start recovers its logs
#   scripts/kafka.sh status          exit 0 if a broker answers on the port, 1 if not
#   scripts/kafka.sh logs [-f] [N]   the last N lines of its log (default 100); -f follows it
#   scripts/kafka.sh reset           stop it and wipe its data (topics, offsets, log); keeps the jars
#
# Everything it writes lives under .run/kafka/ (jars, data, log, pid, generated config).
# Needs Java 17+ and Maven; node, when installed, is used for a metadata probe.
# Environment: KAFKA_START_TIMEOUT (90 s), KAFKA_JVM_OPTS (appended to the JVM flags), and
# for a second broker beside the usual one all three of KAFKA_PORT (9092),
# KAFKA_CONTROLLER_PORT (9093) and KAFKA_STATE_DIR (.run/kafka).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
home="${KAFKA_STATE_DIR:-$root/.run/kafka}"
case "$home" in /*) ;; *) home="$PWD/$home" ;; esac
# One directory of jars per version of the pom: a fetch after a pom change never pulls jars
# from under a broker that is still running from the previous set.
jars_root="$home/jars"
pom="$root/infra/kafka/pom.xml"
[ -f "$pom" ] || { echo "kafka: $pom is missing" >&2; exit 1; }
libs="$jars_root/$(sha256sum "$pom" | cut -c1-12)"
data="$home/data"
log="$home/kafka.log"
mvnlog="$home/maven.log"
pidfile="$home/kafka.pid"
props="$home/server.properties"
host=127.0.0.1
port="${KAFKA_PORT:-9092}"
cport="${KAFKA_CONTROLLER_PORT:-9093}"
start_timeout="${KAFKA_START_TIMEOUT:-90}"

t0=${EPOCHREALTIME/,/.}
say() { echo "kafka: $*"; }
# Seconds since this script started, to a tenth.
elapsed() { awk -v a="$t0" -v b="${EPOCHREALTIME/,/.}" 'BEGIN { printf "%.1f", b - a }'; }
die() { echo "kafka: $*" >&2; exit 1; }
rel() { echo "${1#"$root"/}"; }

# Heap and GC sized for a 2-core machine that also runs PostgreSQL, Redis, Node services and
# their tests. SerialGC: no parallel GC threads competing for the two cores, and pauses on a
# heap this small are a few milliseconds. The broker keeps the C2 compiler: under sustained
# load it spent a fifth less CPU than with C1 alone (docs/decisions.md), for about 2 s more CPU
# at start. The one-shot storage format runs with C1 alone (TieredStopAtLevel=1), where C2
# would only add start-up work.
jvm_flags=(-Xms256m -Xmx768m -XX:+UseSerialGC
           -XX:-UsePerfData -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true
           -Djava.net.preferIPv4Stack=true)
# slf4j-simple: one line per event with a wall-clock time. The per-partition chatter (every
# segment, index and leader change of every partition) goes to WARN; topic creation, group
# joins and rebalances, and start/stop stay at INFO.
log_flags=(-Dorg.slf4j.simpleLogger.defaultLogLevel=info
           -Dorg.slf4j.simpleLogger.showDateTime=true
           "-Dorg.slf4j.simpleLogger.dateTimeFormat=yyyy-MM-dd'T'HH:mm:ss.SSS"
           -Dorg.slf4j.simpleLogger.showShortLogName=true
           -Dorg.slf4j.simpleLogger.log.state.change.logger=warn
           -Dorg.slf4j.simpleLogger.log.kafka.cluster.Partition=warn
           -Dorg.slf4j.simpleLogger.log.kafka.log.LogManager=warn
           -Dorg.slf4j.simpleLogger.log.org.apache.kafka.storage.internals.log=warn
           -Dorg.slf4j.simpleLogger.log.org.apache.kafka.controller.PartitionChangeBuilder=warn
           -Dorg.slf4j.simpleLogger.log.org.apache.kafka.common.config.AbstractConfig=warn
           -Dorg.slf4j.simpleLogger.log.kafka.request.logger=warn)

# ---------------------------------------------------------------------------------- probes

tcp_open() { timeout 2 bash -c "exec 3<>/dev/tcp/$host/$1" 2>/dev/null; }

# Speaks the Kafka protocol (plain request/response frames, no client library): ApiVersions,
# then Metadata for no topics, which must list a registered broker and a controller. With
# "ready" it also asks for a consumer group's coordinator and for a producer id, and fails
# until both answer without error. The first of those creates __consumer_offsets on a new
# broker and both wait out the coordinators' loading after a restart, so the first consumer
# group and the first idempotent producer of a test run do not spend seconds in retries.
# Prints one line: what answered, or what is not there yet.
# shellcheck disable=SC2016 # JavaScript, not shell
probe_js='
const net = require("net");
const [host, port, depth] = process.argv.slice(1);
const fail = (why) => { console.log(why); process.exit(1); };
setTimeout(() => fail("no answer within 3 s"), 3000).unref();
const sock = net.connect({ host, port: Number(port) });
let buf = Buffer.alloc(0), waiting = null, corr = 0;
sock.on("data", (d) => {
  buf = Buffer.concat([buf, d]);
  while (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) {
    const frame = buf.subarray(4, 4 + buf.readInt32BE(0));
    buf = buf.subarray(4 + frame.length);
    const w = waiting; waiting = null; if (w) w(frame);
  }
});
sock.on("error", (e) => fail(e.code || e.message));
sock.on("close", () => fail("connection closed by the server"));
const str = (s) => { const b = Buffer.from(s); const l = Buffer.alloc(2); l.writeInt16BE(b.length); return Buffer.concat([l, b]); };
// Request header v1 (non-flexible versions only); the answer is the frame after the size.
const request = (apiKey, version, body) => new Promise((resolve) => {
  const head = Buffer.alloc(8);
  head.writeInt16BE(apiKey, 0); head.writeInt16BE(version, 2); head.writeInt32BE(++corr, 4);
  const msg = Buffer.concat([head, str("kafka.sh"), body]);
  const size = Buffer.alloc(4); size.writeInt32BE(msg.length);
  waiting = resolve;
  sock.write(Buffer.concat([size, msg]));
});
// Highest version of an API in [lo, hi] the broker offers, or -1.
const pick = (ranges, key, lo, hi) => { const r = ranges[key]; if (!r) return -1; const v = Math.min(r[1], hi); return v >= Math.max(r[0], lo) ? v : -1; };
const ERR = { 14: "coordinator loading", 15: "coordinator not available", 7: "timed out" };
sock.on("connect", async () => {
  try {
    let f = await request(18, 0, Buffer.alloc(0)); // ApiVersions v0: answers on any version of Kafka
    if (f.readInt16BE(4) !== 0) fail("ApiVersions error " + f.readInt16BE(4));
    const ranges = {};
    for (let i = 0, n = f.readInt32BE(6); i < n; i++) { const o = 10 + 6 * i; ranges[f.readInt16BE(o)] = [f.readInt16BE(o + 2), f.readInt16BE(o + 4)]; }
    const mv = pick(ranges, 3, 4, 8);
    if (mv < 0) fail("this probe speaks Metadata v4..v8; the broker offers " + ranges[3]);
    // Metadata: empty topic list (brokers and controller only), no auto-creation.
    f = await request(3, mv, Buffer.alloc(mv >= 8 ? 7 : 5));
    const brokers = [];
    let o = 12; // correlation id, throttle time, broker count
    for (let i = 0, n = f.readInt32BE(8); i < n; i++) {
      const id = f.readInt32BE(o); o += 4;
      const hl = f.readInt16BE(o); o += 2;
      const h = f.toString("utf8", o, o + hl); o += hl;
      const p = f.readInt32BE(o); o += 4;
      const rl = f.readInt16BE(o); o += 2 + Math.max(rl, 0);
      brokers.push(`${id}@${h}:${p}`);
    }
    const cl = f.readInt16BE(o); o += 2;
    const cluster = cl < 0 ? "?" : f.toString("utf8", o, o + cl); o += Math.max(cl, 0);
    const controller = f.readInt32BE(o);
    if (!brokers.length || controller < 0) fail("no broker registered yet");
    let extra = "";
    if (depth === "ready") {
      const fv = pick(ranges, 10, 1, 2); // FindCoordinator: key, key type 0 = group
      if (fv >= 0) {
        f = await request(10, fv, Buffer.concat([str("kafka.sh-probe"), Buffer.from([0])]));
        const e = f.readInt16BE(8);
        if (e !== 0) fail("group coordinator: " + (ERR[e] || "error " + e));
        extra += ", group coordinator ok";
      }
      const iv = pick(ranges, 22, 0, 1); // InitProducerId: no transactional id, as idempotent producers send it
      if (iv >= 0) {
        const b = Buffer.alloc(6); b.writeInt16BE(-1, 0); b.writeInt32BE(60000, 2);
        f = await request(22, iv, b);
        const e = f.readInt16BE(8);
        if (e !== 0) fail("producer ids: " + (ERR[e] || "error " + e));
        extra += ", producer ids ok";
      }
    }
    console.log(`cluster ${cluster}, broker ${brokers.join(" ")}, controller ${controller}${extra}`);
    process.exit(0);
  } catch (e) { fail("unexpected answer: " + e.message); }
});
'

# Succeeds when a usable broker answers on the port ($1 = "ready": also wait for the group
# coordinator and producer ids); prints what it found.
probe() {
  tcp_open "$port" || { echo "nothing listening"; return 1; }
  if command -v node >/dev/null; then
    node -e "$probe_js" "$host" "$port" "${1:-}"
  else
    # Without node, fall back to the open port plus the broker's own "started" line.
    awk '/^==== /{ s = 0 } /Kafka Server started/{ s = 1 } END { exit !s }' "$log" 2>/dev/null \
      && echo "port open, log says started" && return 0
    echo "port open, not started yet"; return 1
  fi
}

# A process's command line, arguments joined by spaces ("" once it is gone).
cmdline() { tr '\0' ' ' 2>/dev/null <"/proc/$1/cmdline" || true; }

# The pid of the broker that runs from this state dir: the pid file if it is still that
# process, else a scan for a JVM whose command line names this very server.properties (a lost
# pid file must not lead to wiping data under a live broker).
broker_pid() {
  local pid cmd
  if [ -f "$pidfile" ]; then
    pid=$(cat "$pidfile")
    cmd=$(cmdline "$pid")
    if [[ $cmd == *kafka.Kafka*"$props"* ]]; then echo "$pid"; return 0; fi
  fi
  for cmd in $(grep -lsaF -- "$props" /proc/[0-9]*/cmdline || true); do
    pid=${cmd#/proc/}; pid=${pid%/cmdline}
    [[ "$(cmdline "$pid")" == *kafka.Kafka*"$props"* ]] && { echo "$pid"; return 0; }
  done
  return 1
}

# The Kafka version in a jar directory (default: the current one).
kafka_version() {
  local jar; jar=$(ls "${1:-$libs}"/kafka_2.13-*.jar 2>/dev/null | head -n 1 || true)
  [ -n "$jar" ] && { jar=${jar##*/kafka_2.13-}; echo "${jar%.jar}"; } || echo "?"
}

# kill -0 alone counts a zombie (a broker that died as this script's child) as alive.
alive() { kill -0 "$1" 2>/dev/null && [ "$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null)" != Z ]; }

# The Kafka version a running broker was started with (from its -cp argument).
running_version() {
  local a prev="" cp=""
  while IFS= read -r -d '' a; do [ "$prev" = -cp ] && cp=$a; prev=$a; done 2>/dev/null <"/proc/$1/cmdline" || true
  kafka_version "${cp%/\*}"
}

lock() { mkdir -p "$home"; exec 9>"$home/.lock"; flock -w 180 9 || die "another kafka.sh is still busy in $(rel "$home") (waited 180 s)"; }

# ----------------------------------------------------------------------------------- fetch

fetch() {
  command -v java >/dev/null || die "java not found: install a JDK 17 or newer (apt-get install openjdk-17-jre-headless)"
  command -v mvn >/dev/null || die "mvn not found: install Maven (apt-get install maven)"
  local n
  if [ -f "$libs/.fetched" ] && ls "$libs"/kafka_2.13-*.jar >/dev/null 2>&1; then
    say "Kafka $(kafka_version) jars already in $(rel "$libs") ($(ls "$libs"/*.jar | wc -l) jars)"
    prune_jars
    return 0
  fi
  mkdir -p "$jars_root"
  rm -rf "$libs.new"
  say "resolving the broker's jars with Maven from $(rel "$pom") (log: $(rel "$mvnlog"))"
  say "  the first run downloads about 60 MB (some 340 files, 15 s on a good line); later runs copy from ~/.m2"
  # -B: plain log lines, no progress bars. The awk prints a line every 100 downloads so a
  # slow first run shows it is alive; the full log stays in maven.log.
  if ! mvn -B -Dstyle.color=never -f "$pom" dependency:copy-dependencies \
      -DincludeScope=runtime -DoutputDirectory="$libs.new" 2>&1 \
      | tee "$mvnlog" \
      | awk '/^\[INFO\] Downloaded from/ { n++; if (n % 100 == 0) { printf "kafka:   %d files downloaded...\n", n; fflush() } }
             /^\[ERROR\]/ && !shown++ { print "kafka:   " $0; fflush() }'; then
    rm -rf "$libs.new"
    echo "---- last lines of $(rel "$mvnlog"):" >&2
    grep -E '^\[(ERROR|WARNING)\]' "$mvnlog" | tail -n 15 >&2 || tail -n 15 "$mvnlog" >&2
    die "Maven could not resolve the broker's jars. Check that Maven Central is reachable (a proxy goes in ~/.m2/settings.xml), then retry: scripts/kafka.sh fetch"
  fi
  cp "$pom" "$libs.new/.fetched"
  rm -rf "$libs"
  mv "$libs.new" "$libs"
  n=$(ls "$libs"/*.jar | wc -l)
  say "Kafka $(kafka_version): $n jars in $(rel "$libs") ($(elapsed) s)"
  prune_jars
}

# Drops the jars of earlier poms, except those a running broker was started from.
prune_jars() {
  local pid cmd="" d
  pid=$(broker_pid) && cmd=$(cmdline "$pid")
  for d in "$jars_root"/*/ "$home/libs/"; do
    d=${d%/}
    [ -d "$d" ] && [ "$d" != "$libs" ] || continue
    if [[ $cmd == *"$d/"* ]]; then
      say "note: the running broker (pid $pid) still runs Kafka $(kafka_version "$d"); restart it to run $(kafka_version): scripts/kafka.sh stop && scripts/kafka.sh start"
    else
      rm -rf "$d"
    fi
  done
}

# ----------------------------------------------------------------------------------- start

write_props() {
  mkdir -p "$data"
  cat >"$props" <<PROPS
# Generated by scripts/kafka.sh on every start; edit the script, not this file.
# One node that is both the KRaft controller and the broker, for development and tests.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@$host:$cport
listeners=PLAINTEXT://$host:$port,CONTROLLER://$host:$cport
advertised.listeners=PLAINTEXT://$host:$port
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$data

# Thread pools sized for 2 cores (the defaults assume a server: 3 network, 8 I/O, 10
# background and 4 group-coordinator threads).
num.network.threads=2
num.io.threads=4
background.threads=4
group.coordinator.threads=2
num.recovery.threads.per.data.dir=1

# Topics are created explicitly (scripts/create-topics.ts and every service at start, from the
# contract), so auto-creation is off: a producer or consumer with a misspelt topic name fails
# with UNKNOWN_TOPIC_OR_PARTITION (kafkajs, after its retries, about 10 s) instead of silently
# writing to, or waiting on, a new empty topic.
auto.create.topics.enable=false
num.partitions=6
default.replication.factor=1
min.insync.replicas=1

# One broker, so every internal topic has one replica (the default of 3 can never be met and
# consumer groups would wait forever for their coordinator). Fewer partitions than the
# default 50 each: a first consumer group or transaction comes up faster, and nothing here
# needs the spread.
offsets.topic.replication.factor=1
offsets.topic.num.partitions=12
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=6
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
share.coordinator.state.topic.num.partitions=6

# No one else will join: a first consumer group gets its assignment at once, not after 3 s.
group.initial.rebalance.delay.ms=0

# Local data is disposable: keep a day, in 64 MB segments so old ones can actually go.
log.retention.hours=24
log.segment.bytes=67108864
# Compaction stays on (compacted topics need it) with a 16 MB buffer instead of 128 MB of heap.
log.cleaner.enable=true
log.cleaner.dedupe.buffer.size=16777216
PROPS
}

# A KRaft cluster id: 16 random bytes, base64url without padding (what `kafka-storage.sh
# random-uuid` prints), made here to save a JVM start. Kafka never hands out ids starting
# with "-" (they read as a command-line flag), so neither do we.
new_cluster_id() {
  local id
  while :; do
    id=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')
    [[ $id == -* ]] || { echo "$id"; return; }
  done
}

check_java() {
  local v
  v=$(java -XshowSettings:properties -version 2>&1 | awk -F' = ' '/java.specification.version/ { print $2 }')
  [ "${v%%.*}" -ge 17 ] 2>/dev/null || die "the broker needs Java 17 or newer, found '${v:-none}' (apt-get install openjdk-17-jre-headless)"
}

# Waits for the broker with pid $1 to answer; stops it and fails with the log's tail if it
# dies or does not answer in time.
wait_ready() {
  local pid=$1 began=$2 said=0 out
  while :; do
    if out=$(probe ready 2>&1); then
      say "up on $host:$port after $(elapsed) s: $out"
      return 0
    fi
    if ! alive "$pid"; then
      echo "---- last lines of $(rel "$log"):" >&2; tail -n 25 "$log" >&2
      die "the broker exited during start-up (log above). A port taken ($port or $cport: ss -ltnp | grep -E ':($port|$cport) ')? Storage from another Kafka version? Retry with a clean slate: scripts/kafka.sh reset && scripts/kafka.sh start"
    fi
    if [ $((SECONDS - began)) -ge "$start_timeout" ]; then
      echo "---- last lines of $(rel "$log"):" >&2; tail -n 25 "$log" >&2
      stop_pid "$pid" >&2
      die "the broker did not answer on $host:$port within $start_timeout s (last probe: $out; log above). On a busy machine retry with KAFKA_START_TIMEOUT=180; if it keeps failing: scripts/kafka.sh reset && scripts/kafka.sh start"
    fi
    if [ $((SECONDS - began)) -ge $((said + 10)) ]; then said=$((SECONDS - began)); say "  still starting (${said} s: $out)"; fi
    sleep 0.3
  done
}

start() {
  local out pid began=$SECONDS
  if out=$(probe ready 2>&1); then say "a broker already answers on $host:$port ($out); nothing to do"; return 0; fi
  lock
  if pid=$(broker_pid); then
    say "the broker (pid $pid) is still starting; waiting for it"
    wait_ready "$pid" "$began"; return 0
  fi
  if tcp_open "$port" || tcp_open "$cport"; then
    # Something else holds a port: perhaps a broker from another checkout, still starting.
    say "port $port or $cport is taken by another process; waiting up to $start_timeout s for a broker to answer"
    while [ $((SECONDS - began)) -lt "$start_timeout" ]; do
      if out=$(probe ready 2>&1); then say "a broker answers on $host:$port ($out); not starting another"; return 0; fi
      sleep 1
    done
    die "port $port or $cport is taken by a process that is not a working Kafka broker (ss -ltnp | grep -E ':($port|$cport) ' shows which); stop it, or run this broker elsewhere with KAFKA_PORT/KAFKA_CONTROLLER_PORT"
  fi
  rm -f "$pidfile"
  check_java
  fetch
  write_props
  # Keep one old log, so a long-lived checkout does not grow without end.
  if [ -f "$log" ] && [ "$(stat -c %s "$log")" -gt 20000000 ]; then mv -f "$log" "$log.1"; fi
  if [ ! -f "$data/meta.properties" ]; then
    local id; id=$(new_cluster_id)
    say "formatting $(rel "$data") (cluster id $id)"
    if ! java "${jvm_flags[@]}" -Xms32m -XX:TieredStopAtLevel=1 "${log_flags[@]}" -cp "$libs/*" kafka.tools.StorageTool \
        format -t "$id" -c "$props" --ignore-formatted >>"$log" 2>&1; then
      echo "---- last lines of $(rel "$log"):" >&2; tail -n 15 "$log" >&2
      die "formatting the storage failed (log above); try: scripts/kafka.sh reset && scripts/kafka.sh start"
    fi
  fi
  say "starting Kafka $(kafka_version) on $host:$port (log: $(rel "$log"))"
  echo "==== $(date -u +%FT%TZ) scripts/kafka.sh start" >>"$log"
  # setsid: its own session, so a Ctrl-C meant for a test run or a service does not reach it.
  # The pid file is written by the process that then becomes the JVM, so it is always right.
  # 9>&-: the JVM must not inherit (and hold forever) the lock.
  # shellcheck disable=SC2086,SC2016 # KAFKA_JVM_OPTS splits into flags; $$ is the inner shell's
  setsid bash -c 'echo $$ >"$1"; shift; exec "$@"' _ "$pidfile" \
    java "${jvm_flags[@]}" "${log_flags[@]}" ${KAFKA_JVM_OPTS:-} -cp "$libs/*" kafka.Kafka "$props" \
    >>"$log" 2>&1 </dev/null 9>&- &
  for _ in $(seq 1 50); do [ -s "$pidfile" ] && break; sleep 0.1; done
  pid=$(cat "$pidfile" 2>/dev/null) || die "the broker's process did not start (log: $(rel "$log"))"
  wait_ready "$pid" "$began"
}

# ------------------------------------------------------------------------------------ stop

stop_pid() {
  local pid=$1 waited=0
  say "stopping the broker (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  while alive "$pid"; do
    if [ "$waited" -ge 60 ]; then say "did not stop within 30 s; killing it"; kill -KILL "$pid" 2>/dev/null || true; sleep 0.5; break; fi
    sleep 0.5; waited=$((waited + 1))
  done
  rm -f "$pidfile"
  say "stopped after $(((waited + 1) / 2)) s"
}

stop() {
  local pid
  lock
  if pid=$(broker_pid); then stop_pid "$pid"; return 0; fi
  rm -f "$pidfile"
  if tcp_open "$port"; then
    say "not running from $(rel "$home"); the broker answering on $host:$port was started elsewhere, so it is left alone"
  else
    say "not running"
  fi
}

kill_now() {
  local pid
  lock
  pid=$(broker_pid) || die "no broker started from $(rel "$home") is running; nothing to kill"
  say "killing the broker (pid $pid) with SIGKILL"
  kill -KILL "$pid"
  while alive "$pid"; do sleep 0.1; done
  rm -f "$pidfile"
  say "killed"
}

status() {
  local out pid
  pid=$(broker_pid || true)
  if out=$(probe 2>&1); then
    if [ -n "$pid" ]; then
      say "up on $host:$port: $out (pid $pid, Kafka $(running_version "$pid"), data $(du -sh "$data" 2>/dev/null | cut -f1) in $(rel "$data"))"
    else
      say "up on $host:$port: $out (not started from $(rel "$home"))"
    fi
    return 0
  fi
  if [ -n "$pid" ]; then say "not answering on $host:$port yet ($out); pid $pid is running: starting, or stuck (scripts/kafka.sh logs)"
  else say "not answering on $host:$port ($out); start it with scripts/kafka.sh start"; fi
  return 1
}

logs() {
  local follow=() n=100
  for a in "$@"; do case "$a" in -f) follow=(-F) ;; *[!0-9]*) die "usage: scripts/kafka.sh logs [-f] [lines]" ;; *) n=$a ;; esac; done
  [ -f "$log" ] || die "no log yet at $(rel "$log")"
  tail -n "$n" "${follow[@]}" "$log"
}

reset() {
  stop
  if broker_pid >/dev/null; then die "the broker is still running; not wiping its data"; fi
  rm -rf "$data" "$log" "$log.1" "$props" "$pidfile"
  say "wiped $(rel "$data") and the log (the jars stay in $(rel "$jars_root"))"
}

cmd="${1:-}"; [ $# -gt 0 ] && shift
case "$cmd" in
  fetch) lock; fetch ;;
  start) start ;;
  stop) stop ;;
  kill) kill_now ;;
  status) status ;;
  logs) logs "$@" ;;
  reset) reset ;;
  *) echo "usage: scripts/kafka.sh fetch|start|stop|kill|status|logs [-f] [lines]|reset" >&2; exit 2 ;;
esac
