// Word count: the "hello world" of MapReduce.
//   mrstream --job examples/wordcount.js examples/data/*.txt
export function map (line, emit) {
  for (const word of line.split(/\s+/)) if (word) emit(word, 1)
}

export function reduce (word, counts) {
  let n = 0
  for (const c of counts) n += c
  return n
}

// Summing is associative and commutative, so reduce doubles as the combiner.
export const combine = reduce
