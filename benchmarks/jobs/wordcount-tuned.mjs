// Word count with mrstream's words(): the same result as wordcount.mjs, the words cut in one
// walk along the line (no array of words per line).
import { words } from 'mrstream'

export function map (line, emit) {
  words(line, w => emit(w, 1))
}

export { reduce, combine } from './wordcount.mjs'
