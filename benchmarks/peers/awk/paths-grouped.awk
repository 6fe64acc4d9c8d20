# After `sort`: "path bytes" lines grouped by path; prints each path's requests and bytes.
$1 != path { if (NR > 1) printf "%s\t[%.0f,%.0f]\n", path, requests, bytes; path = $1; requests = 0; bytes = 0 }
{ requests++; bytes += $2 }
END { if (NR > 0) printf "%s\t[%.0f,%.0f]\n", path, requests, bytes }
