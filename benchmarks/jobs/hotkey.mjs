// Sum per key with NO combiner: one key has ~90% of the lines, so reduce streams most of the
// input's values for that one key (they must not all be held in memory at once).
export function map (line, emit) {
  const tab = line.indexOf('\t')
  emit(line.slice(0, tab), Number(line.slice(tab + 1)))
}

export function reduce (key, values) {
  let sum = 0
  for (const v of values) sum += v
  return sum
}
