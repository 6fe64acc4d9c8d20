// How often each line occurs, with NO combiner: mostly distinct lines, so nearly every line is
// a key of its own.
export function map (line, emit) {
  emit(line, 1)
}

export { reduce } from './wordcount.mjs'
