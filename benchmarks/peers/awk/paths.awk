# Requests per path ($7) from an Apache combined log. printf "%.0f": mawk's %d stops at 2^31-1.
{ count[$7]++ }
END { for (p in count) printf "%s\t%.0f\n", p, count[p] }
