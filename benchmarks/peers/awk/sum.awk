# Sum per key of key<TAB>integer lines (run with -F'\t').
{ sum[$1] += $2 }
END { for (k in sum) printf "%s\t%.0f\n", k, sum[k] }
