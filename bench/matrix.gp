# Chart of the benchmark matrix: one panel per workload, one bar per cell
# (size mix / node size / mode), the height the best rival's time over
# mpool's ("x best", log scale): above the line at 1 mpool is faster,
# below it the rival named on the bar is.
#
#   gnuplot -e "datafile='build-bench/bench-matrix.dat'; outfile='docs/bench/matrix.png'" bench/matrix.gp
#
# datafile is written by mpool-bench --matrix-data.

if (!exists("datafile")) datafile = 'bench-matrix.dat'
if (!exists("outfile")) outfile = 'matrix.png'
if (!exists("term")) term = 'pngcairo'

workloads = system(sprintf("sed -n 's/^# workloads: //p' '%s'", datafile))
reps = system(sprintf("sed -n 's/^# reps: //p' '%s'", datafile))
machine = system(sprintf("sed -n 's/^# machine: //p' '%s'", datafile))
n = words(workloads)
rows = (n + 1) / 2

if (term eq 'pngcairo') {
  set terminal pngcairo size 1400, 420*rows+60 font "sans,9" noenhanced
} else {
  set terminal png size 1400, 420*rows+60 font "sans,9" noenhanced
}
set output outfile

set style fill solid 0.85 border -1
set boxwidth 0.75
set grid ytics lc rgb "#dddddd"
set xtics rotate by 60 right nomirror
set ytics nomirror
set logscale y 2
set yrange [0.0625:16]
set xrange [-0.6:*]
set key off

# green where mpool is faster, red where a rival is
barcolor(x) = (x >= 1.0) ? 0x28b463 : 0xc0392b

set multiplot layout rows, 2 title sprintf("mpool against its fastest rival in every cell: best rival's ns/op / mpool's (log scale; > 1: mpool is faster), median of %s repetition(s)\n%s", reps, machine)
do for [i=1:n] {
  set title sprintf("%s", word(workloads, i))
  plot datafile index (i-1) using 0:2:(barcolor($2)):xtic(1) with boxes lc rgb variable, \
       '' index (i-1) using 0:($2 < 1 ? $2 : 1/0):3 with labels rotate by 90 left offset 0,0.3 font "sans,7", \
       1 with lines lc rgb "black" dt 2
}
unset multiplot
