// Requests and bytes per path of an Apache combined log (examples/data/access.log):
//   mrstream --job examples/paths.js examples/data/access.log
// Fields are separated by spaces: 6 is the path, 9 the bytes sent ("-" when none).
import { sum } from 'mrstream'

export function map (line, emit) {
  const f = line.split(' ')
  if (f.length > 9) emit(f[6], [1, Number(f[9]) || 0])
}

// sum adds numbers, and arrays of numbers element by element: [requests, bytes] per path.
export const reduce = sum
export const combine = sum
