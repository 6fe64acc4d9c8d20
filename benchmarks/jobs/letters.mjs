// Word count of real text with NO combiner: a word is a run of letters (any script), case kept;
// every (word, 1) pair goes through the sort buffer, the runs and the merge.
export function map (line, emit) {
  for (const w of line.match(/\p{L}+/gu) ?? []) emit(w, 1)
}

export { reduce } from './wordcount.mjs'
