# After `sort`: key<TAB>integer lines grouped by key; prints each key's sum (run with -F'\t').
$1 != key { if (NR > 1) printf "%s\t%.0f\n", key, sum; key = $1; sum = 0 }
{ sum += $2 }
END { if (NR > 0) printf "%s\t%.0f\n", key, sum }
