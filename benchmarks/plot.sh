#!/usr/bin/env bash
# plot.sh - a bar chart of one compare.sh run: every figure as a ratio to HAProxy in that run.
#
#   benchmarks/plot.sh [RESULTS_TSV] [PNG]
#
# RESULTS_TSV defaults to the newest benchmarks/results/*/results.tsv, PNG to ratios.png next to
# it. One cluster per figure, one bar per mode; the line at 1.0 is HAProxy. Labels say which way
# is better: "(more)" for rates, "(less)" for latency, CPU and memory.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
results=${1:-$(ls -1t "$REPO"/benchmarks/results/*/results.tsv 2>/dev/null | head -n 1)}
[[ -n $results && -r $results ]] || { echo "plot.sh: results: '${results}' (expected: a results.tsv written by compare.sh)" >&2; exit 2; }
png=${2:-$(dirname "$results")/ratios.png}
command -v gnuplot >/dev/null || { echo "plot.sh: gnuplot: not found (expected: apt-get install gnuplot-nox)" >&2; exit 2; }

data=$(mktemp /tmp/sluice-plot.XXXXXX)
trap 'rm -f "$data"' EXIT

# Rows: figures; columns: modes other than HAProxy (whose ratio is 1 by definition).
awk -F'\t' '
  BEGIN { split("ka_req_per_s=keep-alive req/s|ka_p50_ms=keep-alive p50|ka_p99_ms=keep-alive p99|close_conn_per_s=new conns/s|close_p99_ms=new conn p99|bulk_mbit_per_s=bulk Mbit/s|cpu_us_per_ka_req=CPU per ka req|cpu_us_per_conn=CPU per new conn|cpu_ms_per_gib=CPU per GiB|peak_rss_mib=peak RSS", pairs, "|")
          for (i in pairs) { split(pairs[i], kv, "="); name[kv[1]] = kv[2] } }
  NR == 1 { next }
  $1 != "haproxy" && $8 != "NA" {
    if (!($1 in seen)) { seen[$1]; modes[++nm] = $1 }
    if (!($2 in shown)) { shown[$2]; metrics[++nf] = $2; label[$2] = (($2 in name) ? name[$2] : $2) ($7 == "higher" ? " (more)" : " (less)") }
    r[$1, $2] = $8 }
  END {
    if (nm == 0) exit 1
    printf "figure"; for (i = 1; i <= nm; i++) printf "\t%s", modes[i]; printf "\n"
    for (f = 1; f <= nf; f++) {
      printf "\"%s\"", label[metrics[f]]
      for (i = 1; i <= nm; i++) printf "\t%s", ((modes[i], metrics[f]) in r) ? r[modes[i], metrics[f]] : "NaN"
      printf "\n" } }' "$results" > "$data" \
  || { echo "plot.sh: $results has no ratios to HAProxy (expected: a run with MODES including haproxy)" >&2; exit 2; }

columns=$(head -n 1 "$data" | awk -F'\t' '{ print NF }')
terminal=png
gnuplot -e 'set terminal' 2>&1 | grep -q pngcairo && terminal=pngcairo

gnuplot <<EOF
set terminal $terminal size 1400,600 noenhanced
set output "$png"
set title "$(basename "$(dirname "$results")"): ratio to HAProxy in the same run (1.0 = HAProxy)"
set datafile separator "\t"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set key top left
set grid ytics
set yrange [0:*]
set xtics rotate by -30 nomirror
set arrow from graph 0, first 1 to graph 1, first 1 nohead dashtype 2 linewidth 2
plot for [c = 2:$columns] "$data" using c:xtic(1) title columnheader(c)
EOF
echo "$png"
