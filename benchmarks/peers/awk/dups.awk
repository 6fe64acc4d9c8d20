# How often each line occurs.
{ count[$0]++ }
END { for (l in count) printf "%s\t%.0f\n", l, count[l] }
