// The ten most frequent words of the bundled books: a chain of two steps. Step 1 counts words;
// step 2 sends every count to one key, 'top', and top(10)'s combiner keeps only the ten best
// of every spill and merge, so that key's reduce reads ten values a run, not one per word.
//   mrstream --job examples/top-words.js examples/data/*.txt
import { sum, top } from 'mrstream'

const count = {
  map (line, emit) {
    for (const word of line.split(/[^A-Za-z0-9]+/)) if (word) emit(word.toLowerCase(), 1)
  },
  reduce: sum,
  combine: sum,
}

// [count, word] values rank by count, then word (the later word first on a tie)
const ten = top(10)
const ranking = {
  map ([word, n], emit) { emit('top', [n, word]) },
  combine: ten.combine,
  // top's reduce emits ('top', [n, word]) greatest first; written as word<TAB>n
  reduce (key, values, emit) { ten.reduce(key, values, (_key, [n, word]) => emit(word, n)) },
}

export const steps = [count, ranking]
