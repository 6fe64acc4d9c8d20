// An inverted index: for each word, the books it occurs in and how often (ctx.file is the
// input a record came from).
//   mrstream --job examples/index.js examples/data/*.txt
export function map (line, emit, ctx) {
  const book = ctx.file.split('/').pop()
  for (const word of line.split(/[^A-Za-z0-9]+/)) if (word) emit(word.toLowerCase(), { [book]: 1 })
}

// Adds up counts per book; books in name order, whichever values a call saw first. It is
// associative and commutative, so it is the combiner too.
export function reduce (word, counts) {
  const total = {}
  for (const c of counts) for (const book in c) total[book] = (total[book] ?? 0) + c[book]
  return Object.fromEntries(Object.entries(total).sort(([a], [b]) => (a < b ? -1 : 1)))
}

export const combine = reduce
