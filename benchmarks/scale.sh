#!/usr/bin/env bash
# scale.sh - how bin/sluice copes with a real cluster's size (standalone and cluster mode).
#
#   benchmarks/scale.sh [CASE...]
#
# CASE is one of standalone-N (N services, one listen address and three backends each),
# cluster-N (N Services x 10 endpoints from a list/watch API server, ClusterIPs held with
# --cluster-ip-interface), control-N (the same cluster with no ClusterIP held: every frontend
# but the two probed ones fails to bind without taking a file descriptor, so the control plane
# is measured at sizes beyond the 20,000 open-files limit), or steps-N (the address step alone:
# 'ip -batch' adding and removing N /32s on lo). Default: all cases of the issue, see CASES.
#
# bin/sluice is started exactly as users start it: no JVM option is added (SLUICE_JAVA_OPTS and
# JAVA_OPTS are cleared; SCALE_JAVA_OPTS, for diagnosis only, is passed as JAVA_OPTS and noted
# in about.txt: figures taken with it are not the launcher's). Everything runs in one network namespace ($NETNS, created and deleted
# here; needs root). Per case it records: time from start until a connection to the last
# service reaches its backend, peak RSS (VmHWM), /metrics size and scrape time, and one change
# (standalone: the file rewritten, time until a new connection reaches the new backend;
# cluster: one EndpointSlice changed, the same), plus the first table's steps (log time from the
# first sync, or in standalone mode from start-up, until every listener was bound) and a class
# histogram at 10,000 and 50,000. Results: $OUT/scale.tsv, the table
# on stdout, $OUT/scale.png when gnuplot is installed, and each case's log and histogram.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CASES=${*:-"steps-10000 standalone-1000 standalone-10000 standalone-15000 cluster-1000 cluster-10000 control-50000"}
NETNS=${NETNS:-sluice-scale}
OUT=${OUT:-$REPO/benchmarks/results/scale-$(date -u +%Y%m%d-%H%M%S)}
SLUICE=${SLUICE:-$REPO/bin/sluice}
RIG_JAR=${RIG_JAR:-$REPO/benchmarks/target/benchmarks.jar}
ENDPOINTS=${ENDPOINTS:-10}
API_PORT=16443
METRICS=127.0.0.1:10249

die() { echo "scale.sh: $*" >&2; exit 2; }
[[ $(id -u) == 0 ]] || die "user: $(id -un) (expected: root, for the network namespace)"
[[ -r $RIG_JAR ]] || die "RIG_JAR: $RIG_JAR (expected: ./mvnw -B -q -pl benchmarks -am package -DskipTests)"
mkdir -p "$OUT"
pids=()

in_ns() { ip netns exec "$NETNS" "$@"; }
rig() { java -XX:+UseSerialGC -Xmx1g -cp "$RIG_JAR" dev.sluice.benchmarks.scale.ScaleRig "$@"; }
ns_rig() { in_ns java -XX:+UseSerialGC -Xmx1g -cp "$RIG_JAR" dev.sluice.benchmarks.scale.ScaleRig "$@"; }

# PID and its descendants: 'ip netns exec' forks, so the JVM is a child of the PID we started.
tree() {
  local child
  for child in $(pgrep -P "$1" || true); do tree "$child"; done
  echo "$1"
}

cleanup() {
  local all=() pid alive
  for pid in "${pids[@]}"; do all+=($(tree "$pid")); done
  for pid in "${all[@]}"; do kill "$pid" 2>/dev/null || true; done
  for _ in $(seq 150); do
    alive=0
    for pid in "${all[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [[ $alive == 0 ]] && break
    sleep 0.1
  done
  for pid in "${all[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  pids=()
  ip netns del "$NETNS" 2>/dev/null || true
}
trap cleanup EXIT

namespace() {
  ip netns del "$NETNS" 2>/dev/null || true
  ip netns add "$NETNS"
  in_ns ip link set lo up
  for a in 198.18.254.1 198.18.254.2 198.18.254.3 198.18.254.11 198.18.254.12 198.18.254.13; do
    in_ns ip addr add "$a/32" dev lo
  done
  ns_rig backends \
    198.18.254.1:8080=A 198.18.254.2:8080=A 198.18.254.3:8080=A \
    198.18.254.11:8080=B 198.18.254.12:8080=B 198.18.254.13:8080=B >"$OUT/backends.log" 2>&1 &
  pids+=($!)
}

# ClusterIP of svc-i, as ScaleObjects.clusterIp.
cluster_ip() { local n=$(($1 + 1)); echo "198.18.$((n >> 8)).$((n & 255))"; }
listen_address() { local n=$(($1 + 1)); echo "127.$((1 + (n >> 16))).$(((n >> 8) & 255)).$((n & 255)):80"; }

# The address step: what --cluster-ip-interface asks of the kernel for N ClusterIPs.
steps_case() {
  local n=$1 batch=$OUT/steps-$1.batch
  namespace
  for ((i = 0; i < n; i++)); do echo "address add $(cluster_ip "$i")/32 dev lo"; done >"$batch"
  local t0 t1 t2
  t0=$(date +%s%N); in_ns ip -batch "$batch"; t1=$(date +%s%N)
  sed 's/^address add/address del/' "$batch" | in_ns ip -batch -; t2=$(date +%s%N)
  rm -f "$batch"
  printf 'steps-%s\t%s\t0\t0\t0\tNA\tNA\tNA\tNA\tNA\tNA\tadd %s ms, remove %s ms\n' "$n" "$n" \
    $(((t1 - t0) / 1000000)) $(((t2 - t1) / 1000000)) >>"$OUT/scale.tsv"
  cleanup
}

# The JVM started under PID: 'ip netns exec' may fork before bin/sluice execs java.
java_pid() {
  local pid=$1 child
  for _ in $(seq 100); do
    [[ $(cat "/proc/$pid/comm" 2>/dev/null) == java ]] && { echo "$pid"; return; }
    child=$(pgrep -P "$pid" | head -n 1 || true)
    if [[ -n $child ]]; then pid=$child; else sleep 0.05; fi
  done
  echo "$1"
}

kubeconfig() {
  printf '%s\n' "apiVersion: v1" "kind: Config" \
    "clusters: [{name: scale, cluster: {server: 'http://127.0.0.1:$API_PORT'}}]" \
    "users: [{name: scale, user: {}}]" "contexts: [{name: scale, context: {cluster: scale, user: scale}}]" \
    "current-context: scale"
}

run_case() {
  local kind=${1%-*} n=${1##*-} log=$OUT/$1.log args=() target first ports endpoints last
  last=$((n - 1))
  namespace
  case $kind in
    standalone)
      rig standalone "$OUT/$1.yaml" "$n"
      args=(run --config "$OUT/$1.yaml")
      target=$(listen_address "$last"); first=$(listen_address 0)
      ports=$n; endpoints=$((3 * n)) ;;
    cluster|control)
      ns_rig api $API_PORT "$n" "$ENDPOINTS" >"$OUT/$1-api.log" 2>&1 &
      pids+=($!)
      kubeconfig >"$OUT/kubeconfig"
      args=(run --kubeconfig "$OUT/kubeconfig" --hostname-override node-0 --sync-timeout 120s)
      if [[ $kind == cluster ]]; then
        args+=(--cluster-ip-interface sluice0)
      else
        in_ns ip addr add "$(cluster_ip 0)/32" dev lo
        in_ns ip addr add "$(cluster_ip "$last")/32" dev lo
      fi
      target=$(cluster_ip "$last"):80; first=$(cluster_ip 0):80
      ports=$n; endpoints=$((ENDPOINTS * n))
      until in_ns curl -sf -o /dev/null "http://127.0.0.1:$API_PORT/api/v1/nodes"; do sleep 0.2; done ;;
    *) die "case: $1 (expected: standalone-N, cluster-N, control-N or steps-N)" ;;
  esac

  local t0 pid serving
  t0=$(date +%s%N)
  in_ns env -u SLUICE_JAVA_OPTS JAVA_OPTS="${SCALE_JAVA_OPTS:-}" "$SLUICE" "${args[@]}" >"$log" 2>&1 &
  pids+=($!)
  pid=$(java_pid $!)
  # The probe gives up at once when bin/sluice exits (an OutOfMemoryError, a refused config).
  ns_rig probe "$target" A "$t0" 180 >"$OUT/$1.serving" &
  local probe=$!
  while kill -0 "$probe" 2>/dev/null; do
    kill -0 "$pid" 2>/dev/null || { kill $(tree "$probe") 2>/dev/null; break; }
    sleep 0.2
  done
  wait "$probe" 2>/dev/null || true
  serving=$(cat "$OUT/$1.serving"); serving=${serving:--1}
  if [[ $serving == -1 ]] || ! kill -0 "$pid" 2>/dev/null; then
    echo "$1: not serving (see $log)" >&2
    grep -m3 -E 'OutOfMemory|ERROR|Exception' "$log" >&2 || true
    printf '%s\t%s\t%s\t%s\tNA\tNA\tNA\tNA\tNA\tNA\tNA\tnot serving: %s\n' "$1" "$n" "$ports" "$endpoints" \
      "$(grep -m1 -oE 'OutOfMemoryError[^"]*|ERROR.*' "$log" | head -c 120 || echo see log)" >>"$OUT/scale.tsv"
    cleanup; return
  fi
  sleep 2
  local metrics metrics_bytes metrics_ms change rss hwm listeners bind_ms
  metrics=$(in_ns curl -s -o "$OUT/$1.metrics" -w '%{size_download} %{time_total}' "http://$METRICS/metrics")
  metrics_bytes=${metrics% *}; metrics_ms=$(awk -v s="${metrics#* }" 'BEGIN { printf "%d", s * 1000 }')
  if [[ $kind == standalone ]]; then
    rig standalone "$OUT/$1.yaml.new" "$n" changed
    change=$(ns_rig probe "$first" B 0 30 rename "$OUT/$1.yaml.new" "$OUT/$1.yaml")
  else
    change=$(ns_rig probe "$first" B 0 30 get "http://127.0.0.1:$API_PORT/bench/change")
  fi
  hwm=$(awk '/VmHWM/ { printf "%.0f", $2 / 1024 }' "/proc/$pid/status")
  rss=$(awk '/VmRSS/ { printf "%.0f", $2 / 1024 }' "/proc/$pid/status")
  if [[ $n == 10000 || $n == 50000 ]]; then jcmd "$pid" GC.class_histogram >"$OUT/$1.histogram" 2>&1 || true; fi
  # Listeners bound, and the first table's translation, address and bind steps: from the first
  # sync (cluster) or the admin servers' start (standalone, so YAML reading counts) to the line
  # that reports the first bind of every listener.
  listeners=$(grep -m1 -oE 'on [0-9]+ listeners' "$log" | grep -oE '[0-9]+' || echo NA)
  bind_ms=$({ grep -m1 'node-0 zone: null' "$log" || grep -m1 'serving /metrics' "$log" || true; } | cut -c12-23)
  bind_ms="$bind_ms $(grep -m1 -E 'new listen addresses bound|listening on' "$log" | cut -c12-23 || true)"
  bind_ms=$(echo "$bind_ms" | awk '{ if (NF < 2) { print "NA"; exit }
    split($1, a, /[:.]/); split($2, b, /[:.]/)
    print ((b[1] * 60 + b[2]) * 60 + b[3]) * 1000 + b[4] - (((a[1] * 60 + a[2]) * 60 + a[3]) * 1000 + a[4]) }')
  printf '%s\t%s\t%s\t%s\t%.1f\t%s\t%s\t%s\t%s\t%s\t%s\t%s listeners\n' "$1" "$n" "$ports" "$endpoints" \
    "$(awk -v ms="$serving" 'BEGIN { print ms / 1000 }')" "$hwm" "$rss" "$metrics_bytes" "$metrics_ms" "$change" \
    "$bind_ms" "$listeners" >>"$OUT/scale.tsv"
  cleanup
}

printf 'case\tservices\tservice_ports\tendpoints\tserving_s\tpeak_rss_mib\trss_mib\tmetrics_bytes\tmetrics_ms\tchange_ms\ttable_to_bound_ms\tnotes\n' \
  >"$OUT/scale.tsv"
{
  echo "when: $(date -u +%FT%TZ)"
  echo "commit: $(git -C "$REPO" rev-parse --short HEAD) $(git -C "$REPO" log -1 --format=%s)"
  echo "jar: ${SLUICE_JAR:-$REPO/proxy/target/sluice.jar}"
  echo "load: $(cut -d' ' -f1-3 /proc/loadavg) at start (2 cores shared: timings are noisy when it is high)"
  [[ -z ${SCALE_JAVA_OPTS:-} ]] || echo "JAVA_OPTS added for diagnosis: $SCALE_JAVA_OPTS"
  echo "machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), $(uname -r), $(java -version 2>&1 | head -n 1)"
} >"$OUT/about.txt"
for c in $CASES; do
  echo "== $c" >&2
  case $c in
    steps-*) steps_case "${c#steps-}" ;;
    *) run_case "$c" ;;
  esac
done

"$REPO/benchmarks/lib/scale-report.sh" "$OUT"
