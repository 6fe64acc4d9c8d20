// Sum of the integers per key, for key<TAB>integer lines.
export function map (line, emit) {
  const tab = line.indexOf('\t')
  emit(line.slice(0, tab), Number(line.slice(tab + 1)))
}

export function reduce (key, values) {
  let sum = 0
  for (const v of values) sum += v
  return sum
}

export const combine = reduce
