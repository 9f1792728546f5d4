# Taking the figures for compare.sh (sourced after the servers are up; uses MODES, TESTS,
# HTTP_PORT, BULK_PORT, PROXY_PID and the knobs from there). Writes $WORK/raw.tsv.

CLK_TCK=$(getconf CLK_TCK)

# proc_usage ROOT_PID -> USAGE_TICKS (utime+stime) and USAGE_HWM_KIB (VmHWM), summed over ROOT_PID
# and its descendants: nginx works in a child of its master; bin/sluice may or may not exec java.
proc_usage() {
  local root=$1 f line pid rest up depth
  local -A parent=() ticks=()
  USAGE_TICKS=0; USAGE_HWM_KIB=0
  for f in /proc/[0-9]*/stat; do
    { read -r line < "$f"; } 2>/dev/null || continue
    pid=${f#/proc/}; pid=${pid%/stat}
    rest=${line##*) }                      # the command name may hold spaces and parentheses
    read -ra rest <<< "$rest"              # rest[0] is field 3 (state), so field k is rest[k-3]
    parent[$pid]=${rest[1]}; ticks[$pid]=$(( rest[11] + rest[12] ))
  done
  for pid in "${!parent[@]}"; do
    up=$pid
    for ((depth = 0; depth < 8 && up != root && up > 1; depth++)); do up=${parent[$up]:-1}; done
    [[ $up == "$root" ]] || continue
    USAGE_TICKS=$(( USAGE_TICKS + ticks[$pid] ))
    line=$(awk '/^VmHWM:/ { print $2 }' "/proc/$pid/status" 2>/dev/null)
    USAGE_HWM_KIB=$(( USAGE_HWM_KIB + ${line:-0} ))
  done
}

# host_ticks -> HOST_BUSY, HOST_ALL: jiffies of all CPUs since boot (busy excludes idle and iowait)
host_ticks() {
  local cpu user nice system idle iowait irq softirq steal _
  read -r cpu user nice system idle iowait irq softirq steal _ < /proc/stat
  HOST_BUSY=$(( user + nice + system + irq + softirq + steal )); HOST_ALL=$(( HOST_BUSY + idle + iowait ))
}

# wrk_figures FILE -> "req_per_s p50_ms p99_ms requests errors" (NA when wrk printed no rate)
wrk_figures() {
  awk 'function ms(t,  v) { v = t + 0
         if (t ~ /us$/) return v / 1000; if (t ~ /ms$/) return v; if (t ~ /m$/) return v * 60000
         if (t ~ /s$/) return v * 1000; return v }
       $1 == "50%" { p50 = ms($2) } $1 == "99%" { p99 = ms($2) }
       / requests in / { n = $1 }
       /Socket errors:/ { gsub(",", ""); errors += $4 + $6 + $8 + $10 }
       /Non-2xx or 3xx responses:/ { errors += $NF }
       $1 == "Requests/sec:" { rate = $2 }
       END { if (rate == "") print "NA NA NA 0 1"
             else printf "%s %.3f %.3f %d %d\n", rate, p50, p99, n, errors }' "$1"
}

# run_figure MODE TEST SECONDS OUTFILE -> FIGURE="value p50_ms p99_ms units errors"
# units: requests (ka, close) or bytes received (bulk).
run_figure() {
  local mode=$1 test=$2 secs=$3 out=$4
  local wrk_args=(-t "$WRK_THREADS" -c "$CONNS" -d "${secs}s" --latency)
  case $test in
    ka|close)
      [[ $test == close ]] && wrk_args+=(-H 'Connection: close')
      timeout -k 5 $((secs + 30)) wrk "${wrk_args[@]}" "http://127.0.0.1:${HTTP_PORT[$mode]}/body" > "$out" 2>&1
      FIGURE=$(wrk_figures "$out") ;;
    bulk)
      timeout -k 5 $((secs + 30)) iperf3 -c 127.0.0.1 -p "${BULK_PORT[$mode]}" -t "$secs" -J > "$out" 2>&1
      FIGURE=$(jq -r 'if .end.sum_received.bytes == null then "NA NA NA 0 1"
                      else "\(.end.sum_received.bits_per_second / 1e4 | floor / 100) NA NA \(.end.sum_received.bytes) 0" end' \
        "$out" 2>/dev/null)
      [[ -n $FIGURE ]] || FIGURE="NA NA NA 0 1" ;;
  esac
}

RAW=$WORK/raw.tsv
printf 'repeat\tmode\ttest\tvalue\tp50_ms\tp99_ms\tunits\terrors\tproxy_cpu_s\tproxy_hwm_mib\tother_load_pct\n' > "$RAW"

# measure REPEAT MODE TEST: one figure, with the proxy's CPU and memory around it
measure() {
  local repeat=$1 mode=$2 test=$3 pid=${PROXY_PID[$2]} cpu=NA hwm=NA other b0 a0 t0
  # The pause before each figure shows how busy the host is without us: that is the noise floor.
  host_ticks; b0=$HOST_BUSY; a0=$HOST_ALL
  sleep "$SETTLE"
  host_ticks
  other=$(( HOST_ALL > a0 ? 100 * (HOST_BUSY - b0) / (HOST_ALL - a0) : 0 ))
  if [[ -n $pid ]]; then
    kill -0 "$pid" 2>/dev/null || fail "$mode: proxy pid $pid exited during the run: $(tail -c 800 "$WORK/logs/$mode.log")"
    proc_usage "$pid"; t0=$USAGE_TICKS
  fi
  run_figure "$mode" "$test" "$DURATION" "$WORK/logs/$mode-$test-$repeat.out"
  if [[ -n $pid ]]; then
    proc_usage "$pid"
    cpu=$(awk -v t=$((USAGE_TICKS - t0)) -v hz="$CLK_TCK" 'BEGIN { printf "%.2f", t / hz }')
    hwm=$(awk -v k="$USAGE_HWM_KIB" 'BEGIN { printf "%.1f", k / 1024 }')
  fi
  read -r value p50 p99 units errors <<< "$FIGURE"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$repeat" "$mode" "$test" "$value" "$p50" "$p99" \
    "$units" "$errors" "$cpu" "$hwm" "$other" >> "$RAW"
  say "repeat $repeat $mode $test: $value (p50 ${p50}ms p99 ${p99}ms, errors $errors), proxy CPU ${cpu}s, VmHWM ${hwm}MiB, other load ${other}%"
}

figures=$(( $(wc -w <<< "$MODES") * $(wc -w <<< "$TESTS") ))
say "about $(( figures * (WARMUP + REPEATS * (DURATION + SETTLE + 1)) ))s: $REPEATS x ${DURATION}s per figure, $figures figures"
# One kind of load at a time: every mode warms up on it (not recorded: JIT, connection set-up,
# page cache), then its repeats interleave across modes so drift hits them all alike. A JVM proxy
# switched from one kind of load to another runs slower for several seconds while its JIT
# recompiles (benchmarks/README.md, Experiments), so each figure follows the same kind of load.
for t in $TESTS; do
  if (( WARMUP > 0 )); then
    for m in $MODES; do run_figure "$m" "$t" "$WARMUP" "$WORK/logs/$m-$t-warmup.out"; done
  fi
  for ((r = 1; r <= REPEATS; r++)); do
    for m in $MODES; do measure "$r" "$m" "$t"; done
  done
done
