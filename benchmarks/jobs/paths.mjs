// Requests per path from an Apache combined log, written the obvious way. Fields are separated
// by single spaces: 0 host, 1 ident, 2 user, 3 [date, 4 zone], 5 "method, 6 path, ...
export function map (line, emit) {
  emit(line.split(' ')[6], 1)
}

export { reduce, combine } from './wordcount.mjs'
