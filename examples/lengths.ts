// A TypeScript job: how many lines have each length (in UTF-16 units).
//   mrstream --job examples/lengths.ts examples/data/*.txt
import { defineJob, sum } from 'mrstream'

export default defineJob({
  map (line: string, emit) {
    emit(line.length, 1)
  },
  reduce: sum,
  combine: sum,
})
