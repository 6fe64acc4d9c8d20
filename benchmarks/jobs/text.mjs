// Word count of real text, written the obvious way: lower case, words between single spaces
// (punctuation stays on the word, as a first version of such a job does).
export function map (line, emit) {
  for (const w of line.toLowerCase().split(' ')) if (w) emit(w, 1)
}

export { reduce, combine } from './wordcount.mjs'
