// Requests per path with mrstream's field(): the same result as paths.mjs, the path found in
// one walk along the line (`line.split(' ')` makes ~20 strings a line to keep one).
import { field } from 'mrstream'

export function map (line, emit) {
  emit(field(line, 6), 1)
}

export { reduce, combine } from './wordcount.mjs'
