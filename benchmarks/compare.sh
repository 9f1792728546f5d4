#!/usr/bin/env bash
# compare.sh - Sluice side by side with HAProxy and nginx, on loopback, in one run.
#
# Modes (MODES, default "direct haproxy nginx sluice"):
#   direct   the client talks to a backend itself: the ceiling for this machine
#   haproxy  HAProxy, mode tcp, balance roundrobin over the 3 backends
#   nginx    nginx stream module, round robin over the 3 backends
#   sluice   `bin/sluice run --config FILE`, started as a user starts it
#   sluice-tproxy  the same with `--capture tproxy --source-ip client`: no socket per frontend,
#            nftables diverts to one transparent listener, backends see the client's address.
#            Needs root and nft, and installs Sluice's nftables table and policy route: run the
#            whole script inside a network namespace of its own, e.g.
#            `ip netns add bench && ip -n bench link set lo up && ip netns exec bench benchmarks/compare.sh`
# Each proxy has two frontends: one over the 3 HTTP backends (for wrk), one over a single iperf3
# server (for bulk). Every listener binds 127.0.0.1 and every client dials 127.0.0.1.
#
# Figures, each REPEATS times (median reported), repeats interleaved across modes:
#   ka     wrk -t2 -c64 -d${DURATION}s --latency               req/s, p50, p99
#   close  the same with 'Connection: close'                   new connections/s, p50, p99
#   bulk   iperf3, one stream, DURATION seconds                Mbit/s
# and for each proxy: CPU seconds (utime+stime of its process tree from /proc/PID/stat, before and
# after the figure) per request / per GiB, and peak RSS (VmHWM from /proc/PID/status).
#
# Knobs (environment):
#   DURATION=10 REPEATS=3 WARMUP=15 SETTLE=1 MODES="direct haproxy nginx sluice" TESTS="ka close bulk"
#   PROXY_THREADS=1 (HAProxy nbthread, nginx worker_processes)  SLUICE_THREADS=$PROXY_THREADS
#   OUT_DIR=benchmarks/results/<date-time>  BODY_SIZE=1024  CONNS=64  WRK_THREADS=2
#   SLUICE_CMD=<repo>/bin/sluice (any command taking `run --config FILE ...`)  SLUICE_OPTS (extra
#   arguments after `run`)  JAVA_OPTS (passed through to bin/sluice)  READY_TIMEOUT=60
#
# Output: a table on stdout; in OUT_DIR results.tsv (medians and ratios to HAProxy), raw.tsv (one
# row per repeat), summary.md, and logs/ with every client output, server log and generated config.
# Exit status: 0 all figures taken; 2 setup failed; 3 some figures are missing (NA).
set -uo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DURATION=${DURATION:-10}; REPEATS=${REPEATS:-3}; WARMUP=${WARMUP:-15}; SETTLE=${SETTLE:-1}
MODES=${MODES:-"direct haproxy nginx sluice"}; TESTS=${TESTS:-"ka close bulk"}
PROXY_THREADS=${PROXY_THREADS:-1}; SLUICE_THREADS=${SLUICE_THREADS:-$PROXY_THREADS}
BODY_SIZE=${BODY_SIZE:-1024}; CONNS=${CONNS:-64}; WRK_THREADS=${WRK_THREADS:-2}
READY_TIMEOUT=${READY_TIMEOUT:-60}; SLUICE_CMD=${SLUICE_CMD:-$REPO/bin/sluice}; SLUICE_OPTS=${SLUICE_OPTS:-}
OUT_DIR=${OUT_DIR:-$REPO/benchmarks/results/$(date +%Y%m%d-%H%M%S)}
STREAM_MODULE=/usr/lib/nginx/modules/ngx_stream_module.so
[[ -n ${JAVA_OPTS:-} ]] && export JAVA_OPTS

say() { printf '[%s] %s\n' "$(date +%T)" "$*" >&2; }
fail() { printf 'compare.sh: %s\n' "$*" >&2; exit 2; }

for knob in DURATION REPEATS WARMUP SETTLE PROXY_THREADS SLUICE_THREADS BODY_SIZE CONNS WRK_THREADS READY_TIMEOUT; do
  [[ ${!knob} =~ ^[0-9]+$ ]] || fail "$knob: '${!knob}' (expected: a whole number)"
done
(( DURATION >= 1 && DURATION <= 300 )) || fail "DURATION: $DURATION (expected: 1..300 seconds)"
(( REPEATS >= 1 && REPEATS <= 20 )) || fail "REPEATS: $REPEATS (expected: 1..20)"
for m in $MODES; do
  [[ $m =~ ^(direct|haproxy|nginx|sluice|sluice-tproxy)$ ]] \
    || fail "MODES: '$m' (expected: direct, haproxy, nginx, sluice or sluice-tproxy)"
done
for t in $TESTS; do [[ $t =~ ^(ka|close|bulk)$ ]] || fail "TESTS: '$t' (expected: ka, close or bulk)"; done
has_mode() { [[ " $MODES " == *" $1 "* ]]; }
if has_mode sluice-tproxy; then
  (( EUID == 0 )) && command -v nft >/dev/null \
    || fail "sluice-tproxy: needs root and nft (apt-get install nftables), inside a network namespace of its own"
fi

# ------------------------------------------------------------------ tools
missing_packages() {
  local need=() 
  command -v wrk >/dev/null || need+=(wrk)
  command -v iperf3 >/dev/null || need+=(iperf3)
  command -v jq >/dev/null || need+=(jq)
  command -v gnuplot >/dev/null || need+=(gnuplot-nox)
  command -v nginx >/dev/null || need+=(nginx-light)
  has_mode haproxy && ! command -v haproxy >/dev/null && need+=(haproxy)
  has_mode nginx && [[ ! -r $STREAM_MODULE ]] && need+=(libnginx-mod-stream)
  echo "${need[*]}"
}
need=$(missing_packages)
if [[ -n $need ]]; then
  (( EUID == 0 )) || fail "missing tools; as root run: apt-get install -y $need"
  say "installing: $need"
  # Debian's packaged nginx/haproxy services are never used here (and do not start where
  # /usr/sbin/policy-rc.d forbids it); we start our own with our own configs.
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 || fail "apt-get update failed"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends haproxy nginx-light libnginx-mod-stream wrk iperf3 gnuplot-nox jq >&2 \
    || fail "apt-get install failed"
  need=$(missing_packages); [[ -z $need ]] || fail "still missing after install: $need"
fi
for tool in curl ss setsid timeout; do command -v "$tool" >/dev/null || fail "$tool: not found (expected: a standard Debian tool)"; done
if has_mode sluice || has_mode sluice-tproxy; then
  read -r sluice_bin _ <<< "$SLUICE_CMD"
  command -v "$sluice_bin" >/dev/null || fail "SLUICE_CMD: '$SLUICE_CMD' is not executable (expected: bin/sluice after a build, or a command taking 'run --config FILE')"
fi

# ------------------------------------------------------------------ processes and cleanup
WORK=$(mktemp -d /tmp/sluice-compare.XXXXXX) || fail "mktemp failed"
chmod 755 "$WORK"   # nginx workers run as nobody and must read the body file
mkdir -p "$WORK"/{conf,logs,www,run}
STARTED=()          # PIDs of every server we started, each leading its own process group

stop_group() {
  local pid=$1 i
  kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return; }
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null
  for ((i = 0; i < 50; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && { kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null; }
  wait "$pid" 2>/dev/null
}
finish() {
  local rc=$? i
  trap - EXIT INT TERM
  for ((i = ${#STARTED[@]} - 1; i >= 0; i--)); do stop_group "${STARTED[i]}"; done
  mkdir -p "$OUT_DIR" && cp -r "$WORK/conf" "$WORK/logs" "$OUT_DIR/" 2>/dev/null
  rm -rf "$WORK"
  exit "$rc"
}
trap finish EXIT
trap 'say "interrupted"; exit 130' INT TERM

# launch NAME CMD... : runs CMD in a new session (so its whole tree can be signalled), logs to logs/NAME.log
launch() {
  local name=$1; shift
  setsid "$@" > "$WORK/logs/$name.log" 2>&1 < /dev/null &
  LAUNCHED=$!; STARTED+=("$LAUNCHED")
}
listening() { [[ -n $(ss -Htln "sport = :$1" 2>/dev/null) ]]; }
# await_port NAME PID PORT : waits until PORT listens on 127.0.0.1, or fails with the log tail
await_port() {
  local name=$1 pid=$2 port=$3 deadline=$((SECONDS + READY_TIMEOUT))
  until listening "$port"; do
    kill -0 "$pid" 2>/dev/null || fail "$name exited before listening on $port: $(tail -c 800 "$WORK/logs/$name.log")"
    (( SECONDS < deadline )) || fail "$name: not listening on 127.0.0.1:$port after ${READY_TIMEOUT}s: $(tail -c 800 "$WORK/logs/$name.log")"
    sleep 0.1
  done
}

# await_http NAME PID PORT : waits until a request to 127.0.0.1:PORT is answered
await_http() {
  local name=$1 pid=$2 port=$3 deadline=$((SECONDS + READY_TIMEOUT))
  until curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$port/body"; do
    kill -0 "$pid" 2>/dev/null || fail "$name exited before serving $port: $(tail -c 800 "$WORK/logs/$name.log")"
    (( SECONDS < deadline )) || fail "$name: not serving 127.0.0.1:$port after ${READY_TIMEOUT}s: $(tail -c 800 "$WORK/logs/$name.log")"
    sleep 0.1
  done
}

# Listen ports come from below the ephemeral range, so no client socket of the close test holds one.
read -r EPHEMERAL_LOW _ < /proc/sys/net/ipv4/ip_local_port_range
TAKEN=" "
free_port() {
  local p tries
  for ((tries = 0; tries < 200; tries++)); do
    p=$(( 20000 + RANDOM % (EPHEMERAL_LOW > 21000 ? EPHEMERAL_LOW - 20000 : 1000) ))
    [[ $TAKEN == *" $p "* ]] && continue
    listening "$p" && continue
    TAKEN+="$p "; PORT=$p; return 0
  done
  fail "no free port found below $EPHEMERAL_LOW"
}

# ------------------------------------------------------------------ servers
head -c "$BODY_SIZE" /dev/zero | tr '\0' 's' > "$WORK/www/body"
BACKENDS=(); for _ in 1 2 3; do free_port; BACKENDS+=("$PORT"); done
source "$REPO/benchmarks/lib/configs.sh"

write_backend_conf "$WORK/conf/backends.conf"
launch backends nginx -p "$WORK/run" -e "$WORK/logs/backends.err" -c "$WORK/conf/backends.conf"
for p in "${BACKENDS[@]}"; do await_port backends "$LAUNCHED" "$p"; done
say "backends: nginx on 127.0.0.1:{$(IFS=,; echo "${BACKENDS[*]}")}"

declare -A HTTP_PORT BULK_PORT PROXY_PID
for m in $MODES; do
  free_port; iperf_port=$PORT
  launch "iperf3-$m" iperf3 -s -B 127.0.0.1 -p "$iperf_port"
  await_port "iperf3-$m" "$LAUNCHED" "$iperf_port"
  if [[ $m == direct ]]; then
    HTTP_PORT[$m]=${BACKENDS[0]}; BULK_PORT[$m]=$iperf_port; PROXY_PID[$m]=""
    continue
  fi
  free_port; http=$PORT; free_port; bulk=$PORT
  case $m in
    haproxy)
      write_haproxy_conf "$WORK/conf/haproxy.cfg" "$http" "$bulk" "$iperf_port"
      haproxy -c -q -f "$WORK/conf/haproxy.cfg" || fail "haproxy rejected $WORK/conf/haproxy.cfg"
      launch haproxy haproxy -db -f "$WORK/conf/haproxy.cfg" ;;
    nginx)
      write_nginx_stream_conf "$WORK/conf/nginx-stream.conf" "$http" "$bulk" "$iperf_port"
      launch nginx nginx -p "$WORK/run" -e "$WORK/logs/nginx.err" -c "$WORK/conf/nginx-stream.conf" ;;
    sluice|sluice-tproxy)
      write_sluice_conf "$WORK/conf/$m.yaml" "$http" "$bulk" "$iperf_port"
      sluice_flags
      read -ra extra <<< "$SLUICE_OPTS"
      SLUICE_ARGS+=("${extra[@]}")
      [[ $m == sluice-tproxy ]] && SLUICE_ARGS+=(--capture tproxy --source-ip client)
      echo "$SLUICE_CMD run --config $WORK/conf/$m.yaml ${SLUICE_ARGS[*]}" > "$WORK/conf/$m.cmdline"
      # shellcheck disable=SC2086  # SLUICE_CMD may carry its own arguments
      launch "$m" env SLUICE_THREADS="$SLUICE_THREADS" $SLUICE_CMD run --config "$WORK/conf/$m.yaml" "${SLUICE_ARGS[@]}" ;;
  esac
  PROXY_PID[$m]=$LAUNCHED; HTTP_PORT[$m]=$http; BULK_PORT[$m]=$bulk
  if [[ $m == sluice-tproxy ]]; then
    # Nothing listens on a captured frontend: it is ready once a request through it is answered.
    await_http "$m" "$LAUNCHED" "$http"
  else
    await_port "$m" "$LAUNCHED" "$http"; await_port "$m" "$LAUNCHED" "$bulk"
  fi
  say "$m: pid $LAUNCHED, http 127.0.0.1:$http, bulk 127.0.0.1:$bulk"
done

# Every mode must answer correctly, and each proxy must spread new connections over all backends.
declare -A SPREAD
for m in $MODES; do
  declare -A hits=(); ok=0
  for ((i = 0; i < 6; i++)); do
    reply=$(curl -s -o /dev/null -D - -w 'bytes=%{size_download}\n' --max-time 5 -H 'Connection: close' \
      "http://127.0.0.1:${HTTP_PORT[$m]}/body" | tr -d '\r')
    backend=$(awk -F': ' 'tolower($1) == "x-backend" { print $2 }' <<< "$reply")
    if [[ $reply == "HTTP/1.1 200"* && $reply == *"bytes=$BODY_SIZE"* ]]; then
      ok=$((ok + 1)); hits[$backend]=$(( ${hits[$backend]:-0} + 1 ))
    fi
  done
  (( ok == 6 )) || fail "$m: $ok of 6 requests to 127.0.0.1:${HTTP_PORT[$m]}/body came back whole (expected: 6)"
  [[ $m == direct ]] || (( ${#hits[@]} == 3 )) || fail "$m: new connections reached ${!hits[*]} (expected: all 3 backends)"
  SPREAD[$m]=$(for b in "${!hits[@]}"; do printf '%s=%s ' "$b" "${hits[$b]}"; done)
  unset hits
done

source "$REPO/benchmarks/lib/measure.sh"
source "$REPO/benchmarks/lib/report.sh"
