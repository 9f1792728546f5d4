# The report of compare.sh (sourced last): results.tsv, summary.md and a table on stdout, all
# derived from raw.tsv. A figure is the median over the repeats; peak RSS is the largest VmHWM seen.

# results.tsv: mode, metric, value, min, max, unit, better (higher|lower), x_haproxy (value / HAProxy's)
aggregate() {
  awk -F'\t' -v OFS='\t' '
    function add(mode, metric, v) { if (v == "NA" || v == "") return
      if (!((mode, metric) in n)) { if (!(mode in seen)) { seen[mode]; modes[++nm] = mode } }
      vals[mode, metric, ++n[mode, metric]] = v + 0 }
    function stats(mode, metric,   i, j, k, x, a) { k = n[mode, metric]
      for (i = 1; i <= k; i++) a[i] = vals[mode, metric, i]
      for (i = 2; i <= k; i++) { x = a[i]; for (j = i - 1; j >= 1 && a[j] > x; j--) a[j + 1] = a[j]; a[j + 1] = x }
      LO = a[1]; HI = a[k]; MED = (k % 2) ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2 }
    NR == 1 { next }
    { mode = $2; test = $3; cpu = $9
      if (test == "ka") { add(mode, "ka_req_per_s", $4); add(mode, "ka_p50_ms", $5); add(mode, "ka_p99_ms", $6)
        if (cpu != "NA" && $7 > 0) add(mode, "cpu_us_per_ka_req", cpu * 1e6 / $7) }
      if (test == "close") { add(mode, "close_conn_per_s", $4); add(mode, "close_p99_ms", $6)
        if (cpu != "NA" && $7 > 0) add(mode, "cpu_us_per_conn", cpu * 1e6 / $7) }
      if (test == "bulk") { add(mode, "bulk_mbit_per_s", $4)
        if (cpu != "NA" && $7 > 0) add(mode, "cpu_ms_per_gib", cpu * 1000 / ($7 / 1073741824)) }
      add(mode, "peak_rss_mib", $10) }
    END {
      split("ka_req_per_s ka_p50_ms ka_p99_ms close_conn_per_s close_p99_ms bulk_mbit_per_s cpu_us_per_ka_req cpu_us_per_conn cpu_ms_per_gib peak_rss_mib", metrics, " ")
      split("req/s ms ms conn/s ms Mbit/s us us ms/GiB MiB", units, " ")
      split("higher lower lower higher lower higher lower lower lower lower", better, " ")
      print "mode", "metric", "value", "min", "max", "unit", "better", "x_haproxy"
      for (m = 1; m <= 10; m++) if (("haproxy", metrics[m]) in n) {
        stats("haproxy", metrics[m]); base[m] = (metrics[m] == "peak_rss_mib") ? HI : MED }
      for (i = 1; i <= nm; i++) for (m = 1; m <= 10; m++) {
        if (!((modes[i], metrics[m]) in n)) continue
        stats(modes[i], metrics[m]); v = (metrics[m] == "peak_rss_mib") ? HI : MED
        ratio = (m in base && base[m] > 0) ? sprintf("%.3f", v / base[m]) : "NA"
        print modes[i], metrics[m], sprintf("%.3f", v), sprintf("%.3f", LO), sprintf("%.3f", HI), units[m], better[m], ratio } }' "$1"
}

# The figures as one row per mode; FORMAT is "text" (stdout) or "md" (summary.md).
table() {
  awk -F'\t' -v format="$2" '
    NR == 1 { next }
    { if (!($1 in seen)) { seen[$1]; modes[++nm] = $1 }; v[$1, $2] = $3; x[$1, $2] = $8 }
    function cell(mode, metric, fmt) { if (!((mode, metric) in v)) return "-"
      return sprintf(fmt, v[mode, metric]) ((x[mode, metric] != "NA" && mode != "haproxy") ? sprintf(" (%.2fx)", x[mode, metric]) : "") }
    END {
      split("ka_req_per_s ka_p50_ms ka_p99_ms close_conn_per_s bulk_mbit_per_s cpu_us_per_ka_req cpu_us_per_conn cpu_ms_per_gib peak_rss_mib", col, " ")
      split("%.0f %.3f %.3f %.0f %.0f %.1f %.1f %.0f %.1f", fmt, " ")
      split("keep-alive req/s|p50 ms|p99 ms|new conns/s|bulk Mbit/s|CPU us/ka req|CPU us/conn|CPU ms/GiB|peak RSS MiB", head, "|")
      if (format == "md") {
        line = "| mode |"; rule = "|---|"; for (c = 1; c <= 9; c++) { line = line " " head[c] " |"; rule = rule "---|" }
        print line; print rule
        for (i = 1; i <= nm; i++) { line = "| " modes[i] " |"; for (c = 1; c <= 9; c++) line = line " " cell(modes[i], col[c], fmt[c]) " |"; print line }
      } else {
        printf "%-14s", "mode"; for (c = 1; c <= 9; c++) printf "  %18s", head[c]; printf "\n"
        for (i = 1; i <= nm; i++) { printf "%-14s", modes[i]; for (c = 1; c <= 9; c++) printf "  %18s", cell(modes[i], col[c], fmt[c]); printf "\n" }
      } }' "$1"
}

# Sluice against the goals, as markdown rows: ratios to HAProxy in this run, RSS in MiB.
goals() {
  awk -F'\t' '
    $1 == "sluice" { v[$2] = $3; x[$2] = $8 }
    function row(what, metric, op, limit, absolute,   have, ok) {
      have = absolute ? v[metric] : x[metric]
      if (!(metric in v) || have == "NA") { print "| " what " | " op " " limit " | not measured | - |"; return }
      ok = (op == ">=") ? (have + 0 >= limit) : (have + 0 <= limit)
      print "| " what " | " op " " limit (absolute ? " MiB" : "x") " | " sprintf("%.2f", have) (absolute ? " MiB" : "x") " | " (ok ? "met" : "missed") " |" }
    END {
      print "| goal | target | this run | |"; print "|---|---|---|---|"
      row("keep-alive req/s vs HAProxy", "ka_req_per_s", ">=", 1.15, 0)
      row("new connections/s vs HAProxy", "close_conn_per_s", ">=", 1.10, 0)
      row("bulk Mbit/s vs HAProxy", "bulk_mbit_per_s", ">=", 1.5, 0)
      row("proxy CPU per keep-alive request vs HAProxy", "cpu_us_per_ka_req", "<=", 0.9, 0)
      row("keep-alive p99 vs HAProxy", "ka_p99_ms", "<=", 1.0, 0)
      row("peak RSS", "peak_rss_mib", "<=", 48, 1) }' "$1"
}

versions() {
  local v=()
  has_mode haproxy && v+=("$(haproxy -v 2>/dev/null | awk 'NR == 1 { print "haproxy " $3 }')")
  v+=("$(nginx -v 2>&1 | awk -F/ '{ print "nginx " $2 }')")
  v+=("$(wrk -v 2>&1 | awk 'NR == 1 { print "wrk " $2 }')" "$(iperf3 -v 2>/dev/null | awk 'NR == 1 { print "iperf3 " $2 }')")
  has_mode sluice && v+=("sluice: $(cat "$WORK/conf/sluice.cmdline")${JAVA_OPTS:+ (JAVA_OPTS=$JAVA_OPTS)}")
  has_mode sluice-tproxy && v+=("sluice-tproxy: $(cat "$WORK/conf/sluice-tproxy.cmdline")")
  local IFS=";"; echo "${v[*]}" | sed "s/;/; /g"
}

mkdir -p "$OUT_DIR" || fail "OUT_DIR: $OUT_DIR (expected: a directory we can create)"
cp "$RAW" "$OUT_DIR/raw.tsv"
aggregate "$RAW" > "$OUT_DIR/results.tsv"
loaded=$(awk -F'\t' 'NR > 1 && $11 > 10 { n++ } END { print n + 0 }' "$RAW")
missing=$(awk -F'\t' 'NR > 1 && $4 == "NA" { n++ } END { print n + 0 }' "$RAW")
{
  echo "# compare.sh run, $(date -Is)"
  echo
  echo "- commit: $(git -C "$REPO" describe --always --dirty 2>/dev/null || echo unknown); host: $(uname -sr), $(getconf _NPROCESSORS_ONLN) CPUs, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)"
  echo "- versions: $(versions)"
  echo "- load: wrk -t$WRK_THREADS -c$CONNS -d${DURATION}s --latency on a ${BODY_SIZE}-byte body (close: plus 'Connection: close');" \
       "iperf3 one stream ${DURATION}s; $REPEATS repeats, medians; proxies: $PROXY_THREADS thread(s), Sluice: $SLUICE_THREADS"
  echo "- balance check (6 new connections per mode): $(for m in $MODES; do printf '%s: %s; ' "$m" "${SPREAD[$m]}"; done)"
  (( loaded > 0 )) && echo "- WARNING: $loaded figure(s) started with other processes using more than 10% of the host: treat them as noise"
  (( missing > 0 )) && echo "- WARNING: $missing figure(s) missing (NA): see logs/"
  echo
  echo "## Figures (xN = ratio to HAProxy in this run)"
  echo
  table "$OUT_DIR/results.tsv" md
  if has_mode sluice && has_mode haproxy; then
    echo; echo "## Sluice against its goals"; echo; goals "$OUT_DIR/results.tsv"
  fi
  echo
  echo "Noise is about ±10% between runs: compare ratios within one run; CPU per unit is the least"
  echo "sensitive to contention. Raw figures per repeat: raw.tsv; outputs and configs: logs/, conf/."
} > "$OUT_DIR/summary.md"

echo
table "$OUT_DIR/results.tsv" text
(( loaded > 0 )) && echo "WARNING: $loaded figure(s) started on a host more than 10% busy with other work (other_load_pct in raw.tsv)"
echo "results: $OUT_DIR/summary.md, $OUT_DIR/results.tsv, $OUT_DIR/raw.tsv"
(( missing == 0 )) || exit 3
