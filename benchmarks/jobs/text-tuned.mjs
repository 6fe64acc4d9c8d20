// Word count of real text with mrstream's words(): the same result as text.mjs, without an
// array of words per line.
import { words } from 'mrstream'

export function map (line, emit) {
  words(line.toLowerCase(), w => emit(w, 1))
}

export { reduce, combine } from './wordcount.mjs'
