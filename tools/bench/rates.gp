# SPDX-License-Identifier: GPL-2.0-only
# rates.gp - receive rates of the gate and its peers over veth.
#   gnuplot -c rates.gp rates.dat rates.png
# rows: receiver, Mpps median/min/max (wall), Mpps per receiver CPU-second
#       median/min/max
set terminal pngcairo size 900,540 font ",10"
set output ARG2
set title "Receive rate over veth, 60-byte frames (median, min-max)"
set ylabel "Mpps"
set style data histogram
set style histogram errorbars gap 2 lw 1
set style fill solid 0.6 border -1
set xtics noenhanced
set yrange [0:*]
set grid ytics
set key top right
plot ARG1 using 2:3:4:xtic(1) title "per wall second", \
     ''   using 5:6:7 title "per second of receiver CPU"
