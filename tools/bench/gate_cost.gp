# SPDX-License-Identifier: GPL-2.0-only
# gate_cost.gp - ns per packet against number of identities.
#   gnuplot -c gate_cost.gp gate_cost.dat gate_cost.png
# columns: identities, gate authorized/unknown/bootstrap,
#          xdp-filter (resized) authorized/unknown/bootstrap, empty
set terminal pngcairo size 900,540 font ",10"
set output ARG2
set title "Per-packet cost, BPF\\_PROG\\_TEST\\_RUN (median)"
set xlabel "identities (source rules)"
set ylabel "ns / packet"
set logscale x 10
set format x "10^{%L}"
set xrange [0.5:2e6]
set yrange [0:*]
set key outside right
set grid
set datafile missing "NaN"
plot ARG1 using 1:2 with linespoints lw 2 pt 7 title "gate: authorized", \
     ''   using 1:3 with linespoints lw 2 pt 5 title "gate: unknown", \
     ''   using 1:4 with linespoints lw 2 pt 9 title "gate: bootstrap", \
     ''   using 1:5 with linespoints dt 2 pt 6 title "xdp-filter: authorized", \
     ''   using 1:6 with linespoints dt 2 pt 4 title "xdp-filter: unknown", \
     ''   using 1:7 with linespoints dt 2 pt 8 title "xdp-filter: bootstrap", \
     ''   using 1:8 with lines dt 3 lw 2 title "empty XDP\\_PASS"
