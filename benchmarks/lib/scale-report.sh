#!/usr/bin/env bash
# scale-report.sh OUT - the table, the memory slopes and the chart of one scale.sh run.
#
# Reads OUT/scale.tsv; prints a Markdown table like issue's and the peak-RSS slope per
# service port (and per endpoint, that slope over the endpoints per port) between the sizes
# measured of each mode; writes OUT/scale.png when gnuplot is installed.
set -euo pipefail
out=$(cd "${1:?usage: scale-report.sh OUT}" && pwd)
tsv=$out/scale.tsv
[[ -r $tsv ]] || { echo "scale-report.sh: $tsv: not readable (expected: a scale.sh result)" >&2; exit 2; }

cat "$out/about.txt" 2>/dev/null || true
echo
echo "| case | service ports | endpoints | time to serving | peak RSS | /metrics | one change | first table to bound | notes |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---|"
awk -F'\t' 'NR > 1 && $1 !~ /^steps/ {
  metrics = ($8 == "NA") ? "NA" : sprintf("%.0f KiB (%s ms)", $8 / 1024, $9)
  printf "| %s | %s | %s | %s s | %s MiB | %s | %s ms | %s ms | %s |\n", $1, $3, $4, $5, $6, metrics, $10, $11, $12 }' "$tsv"
awk -F'\t' 'NR > 1 && $1 ~ /^steps/ { printf "\naddress step (ip -batch on lo in a namespace), %s ClusterIPs: %s\n", $2, $12 }' "$tsv"

echo
echo "Peak RSS slope between measured sizes (KiB per service port; per endpoint = that / endpoints per port):"
awk -F'\t' 'NR > 1 && $6 ~ /^[0-9]+$/ && $1 !~ /^steps/ {
  mode = $1; sub(/-[0-9]+$/, "", mode); if (mode == "control") mode = "cluster"
  n[mode]++; p[mode, n[mode]] = $3; r[mode, n[mode]] = $6; e[mode] = $4 / $3 }
  END { for (m in n) for (i = 2; i <= n[m]; i++) {
    s = (r[m, i] - r[m, i - 1]) * 1024 / (p[m, i] - p[m, i - 1])
    printf "  %s %s -> %s: %.1f KiB per service port, %.2f KiB per endpoint (%d endpoints per port)\n",
      m, p[m, i - 1], p[m, i], s, s / e[m], e[m] } }' "$tsv"

command -v gnuplot >/dev/null || { echo "(no gnuplot: no chart)"; exit 0; }
data=$(mktemp /tmp/sluice-scale.XXXXXX)
trap 'rm -f "$data"' EXIT
awk -F'\t' 'NR > 1 && $6 ~ /^[0-9]+$/ && $1 !~ /^steps/ {
  mode = $1; sub(/-[0-9]+$/, "", mode); if (mode == "control") mode = "cluster"
  print mode "\t" $3 / 1000 "\t" $6 "\t" $5 }' "$tsv" | sort -k1,1 -k2,2n >"$data"
terminal=png
gnuplot -e 'set terminal' 2>&1 | grep -q pngcairo && terminal=pngcairo
gnuplot <<GNUPLOT
set terminal $terminal size 1200,500 noenhanced
set output "$out/scale.png"
set datafile separator "\t"
set multiplot layout 1,2 title "$(basename "$out"): bin/sluice as users start it (cluster at 50,000: the control plane, see README)"
set key top left
set grid
set xlabel "service ports (thousands)"
set ylabel "peak RSS (MiB)"
set yrange [0:*]
plot "< grep ^standalone $data" using 2:3 with linespoints lw 2 pt 7 title "standalone (3 backends each)", \
     "< grep ^cluster $data" using 2:3 with linespoints lw 2 pt 5 title "cluster (10 endpoints each)"
set ylabel "time to serving (s)"
plot "< grep ^standalone $data" using 2:4 with linespoints lw 2 pt 7 title "standalone", \
     "< grep ^cluster $data" using 2:4 with linespoints lw 2 pt 5 title "cluster"
unset multiplot
GNUPLOT
echo "chart: $out/scale.png"
