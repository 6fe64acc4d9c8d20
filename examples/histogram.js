// A chain of two steps: how many words occur once, twice, ... in the bundled books.
//   mrstream --job examples/histogram.js examples/data/*.txt
const count = {
  map (line, emit) { for (const word of line.split(/\s+/)) if (word) emit(word, 1) },
  reduce (word, ones) { let n = 0; for (const x of ones) n += x; return n },
}

// step 2's map receives step 1's output as [key, value] records
const byCount = {
  map ([word, n], emit) { emit(n, word) },
  reduce (n, words) { let k = 0; for (const _ of words) k++; return k },
}

export const steps = [count, byCount]
