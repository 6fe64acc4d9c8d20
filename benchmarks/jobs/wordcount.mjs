// Word count: how often each whitespace-separated word occurs.
export function map (line, emit) {
  for (const word of line.split(/\s+/)) if (word) emit(word, 1)
}

export function reduce (word, counts) {
  let n = 0
  for (const c of counts) n += c
  return n
}

export const combine = reduce
