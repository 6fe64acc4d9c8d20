# Word count of lower-cased text in one hash table (fields: runs of spaces and tabs; the text has no tabs).
{ $0 = tolower($0); for (i = 1; i <= NF; i++) count[$i]++ }
END { for (w in count) printf "%s\t%.0f\n", w, count[w] }
