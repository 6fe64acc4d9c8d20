// Word count, written the obvious way: words are separated by single spaces.
export function map (line, emit) {
  for (const w of line.split(' ')) if (w) emit(w, 1)
}

export function reduce (word, counts) {
  let n = 0
  for (const c of counts) n += c
  return n
}

export const combine = reduce
