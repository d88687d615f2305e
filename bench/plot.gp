# Chart of the benchmark results: one column per workload, ns per operation
# on top, peak RSS below (the cross marks the worker's floor, its RSS with
# no workload).  mpool is the first bar of each panel.
#
#   gnuplot -e "datafile='build-bench/bench-plot.dat'; outfile='docs/bench/bench.png'" bench/plot.gp
#
# datafile is written by mpool-bench --plot-data.

if (!exists("datafile")) datafile = 'bench-plot.dat'
if (!exists("outfile")) outfile = 'bench.png'
if (!exists("term")) term = 'pngcairo'

workloads = system(sprintf("sed -n 's/^# workloads: //p' '%s'", datafile))
ops = system(sprintf("sed -n 's/^# ops: //p' '%s'", datafile))
reps = system(sprintf("sed -n 's/^# reps: //p' '%s'", datafile))
machine = system(sprintf("sed -n 's/^# machine: //p' '%s'", datafile))
n = words(workloads)

if (term eq 'pngcairo') {
  set terminal pngcairo size 360*n+80, 760 font "sans,9" noenhanced
} else {
  set terminal png size 360*n+80, 760 font "sans,9" noenhanced
}
set output outfile

set style fill solid 0.85 border -1
set boxwidth 0.75
set grid ytics lc rgb "#dddddd"
set xtics rotate by 45 right nomirror
set ytics nomirror
set yrange [0:*]
set offsets 0, 0, graph 0.06, 0
set xrange [-0.6:*]
set key off
# (NaN is undefined: no bar)

# one colour per peer, same in every panel; mpool stands out
peercolor(i) = (i == 0) ? 0xc0392b : \
               word("0x2e86c1 0x5dade2 0x85c1e9 0x28b463 0x7d3c98 0x566573 0x909497 0xb3b6b7 0xd68910 0xf5b041 0x117a65 0xa569bd", int(i))+0

set multiplot layout 2, n title sprintf("mpool benchmark, median of %s repetition(s), lower is better\n%s", reps, machine)
do for [i=1:n] {
  set title sprintf("%s: ns per %s", word(workloads, i), word(ops, i))
  plot datafile index (i-1) using 0:2:(peercolor($0)):xtic(1) with boxes lc rgb variable, \
       '' index (i-1) using 0:(0):(strcol(2) eq "NaN" ? "n/a" : "") with labels rotate by 90 left offset 0,0.5
}
do for [i=1:n] {
  set title sprintf("%s: peak RSS, MiB (x: floor)", word(workloads, i))
  plot datafile index (i-1) using 0:3:(peercolor($0)):xtic(1) with boxes lc rgb variable, \
       '' index (i-1) using 0:4 with points pt 2 ps 1.2 lc rgb "black", \
       '' index (i-1) using 0:(0):(strcol(3) eq "NaN" ? "n/a" : "") with labels rotate by 90 left offset 0,0.5
}
unset multiplot
