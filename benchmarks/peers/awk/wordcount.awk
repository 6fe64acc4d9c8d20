# Word count in one hash table. printf "%.0f": mawk's %d stops at 2^31-1.
{ for (i = 1; i <= NF; i++) count[$i]++ }
END { for (w in count) printf "%s\t%.0f\n", w, count[w] }
