// Sort lines: the line is the key, and reduce writes it once per occurrence, so duplicate
// lines survive as they do with `sort`. Output lines are `line<TAB>` (the value is '').
export function map (line, emit) {
  emit(line, '')
}

export function reduce (line, values, emit) {
  for (const v of values) emit(line, v)
}
