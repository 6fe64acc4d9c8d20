// Requests and bytes per path from an Apache combined log. Fields split on single spaces:
//   0 host, 1 ident, 2 user, 3 [date, 4 zone], 5 "method, 6 path, 7 protocol", 8 status, 9 bytes
// Bytes "-" (nothing sent, e.g. 304) count as 0. The value is [requests, bytes].
export function map (line, emit) {
  const fields = line.split(' ')
  const path = fields[6]
  if (path === undefined) return
  const bytes = fields[9]
  emit(path, [1, bytes === '-' || bytes === undefined ? 0 : Number(bytes)])
}

export function reduce (path, values) {
  let requests = 0
  let bytes = 0
  for (const [n, b] of values) {
    requests += n
    bytes += b
  }
  return [requests, bytes]
}

export const combine = reduce
