# Count of each run of letters, case kept. [A-Za-z] is \p{L} for ASCII text (mawk knows no Unicode).
{ gsub(/[^A-Za-z]+/, " "); for (i = 1; i <= NF; i++) count[$i]++ }
END { for (w in count) printf "%s\t%.0f\n", w, count[w] }
