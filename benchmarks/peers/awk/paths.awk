# Requests and bytes per path ($7) from an Apache combined log; bytes ($10) "-" count as 0.
{ requests[$7]++; bytes[$7] += $10 }
END { for (p in requests) printf "%s\t[%.0f,%.0f]\n", p, requests[p], bytes[p] }
