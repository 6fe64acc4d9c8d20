// defineJob links map's emit to reduce and combine; misspelt members and wrong types fail to compile.
import { defineJob, field, run, runJob, mapReduce, sum, words, type Emit, type Job } from 'mrstream'

// the types come from map's emit: reduce's parameters are typed from it
const count = defineJob({
  map (line: string, emit: Emit<string, number>) { for (const w of line.split(' ')) emit(w, 1) },
  reduce (word, ones) { let n = 0; for (const x of ones) n += x; return word.length > 0 ? n : 0 },
})
const typed: Job<string, string, number, number> = count
void typed

// or from the type arguments: record, key, value, output
defineJob<string, string, number, number>({
  // @ts-expect-error: the value emitted is not the job's value type
  map (line, emit) { emit(line, 'one') },
  reduce (word, ones) { let n = 0; for (const x of ones) n += x; return n },
})

defineJob({
  // @ts-expect-error: the value emitted is not the value type emit was given
  map (line: string, emit: Emit<string, number>) { emit(line, 'one') },
  reduce (word, ones) { return [...ones].length },
})

defineJob({
  map (line: string, emit: Emit<string, number>) { emit(line, 1) },
  // @ts-expect-error: reduce reads its values as another type
  reduce (word, ones) { let s = ''; for (const x of ones) s = s.concat(x); return s },
})

defineJob({
  map (line: string, emit: Emit<string, number>) { emit(line, 1) },
  // @ts-expect-error: reduce's key is not map's key type
  reduce (word: number, ones: Iterable<number>) { return word + [...ones].length },
})

defineJob({
  map (line: string, emit: Emit<string, number>) { emit(line, 1) },
  // @ts-expect-error: a misspelt member
  reducer (word: string, ones: Iterable<number>) { return [...ones].length },
})

defineJob({
  map (line: string, emit: Emit<string, number>) { emit(line, 1) },
  reduce (word, ones) { return [...ones].length },
  // @ts-expect-error: combine returns the value type
  combine (word, ones) { return 'x' },
})

// a map-only job: no reduce
defineJob({ map (line: string, emit: Emit<string, number>) { emit(line, 1) } })

// @ts-expect-error: a key is null, a boolean, a number, a string or an array of them
defineJob({ map (line: string, emit: Emit<{ line: string }, number>) { emit({ line }, 1) }, reduce (k, vs) { return 1 } })

// built-in reducers fit any job whose values are numbers
const lengths = defineJob({ map (line: string, emit: Emit<number, number>) { emit(line.length, 1) }, reduce: sum, combine: sum })
void lengths

// @ts-expect-error: sum adds numbers
defineJob({ map (line: string, emit: Emit<string, string>) { emit(line, line) }, reduce: sum })

// without types, a job is loosely typed, as a JavaScript job is
defineJob({ map (line, emit) { emit(line, 1) }, reduce (k, vs) { let n = 0; for (const v of vs) n += v; return n } })

async function outputs (): Promise<void> {
  for await (const [word, n] of run(count, { input: ['a.txt'] })) {
    const w: string = word
    const c: number = n
    void w; void c
    // @ts-expect-error: the output value is a number
    const s: string = n
    void s
  }
  const { pairs, counters, user } = await runJob(count, ['a b', 'b'])
  const first: [string, number] | undefined = pairs[0]
  void first
  const records: number = counters.records + (user.mine ?? 0)
  void records
  // @ts-expect-error: runJob's records are the job's record type
  await runJob(count, [1, 2])
  const stream = mapReduce(count, { memory: '64MB', workers: 2 })
  for await (const [k, v] of stream) { const w: string = k; const c: number = v; void w; void c }
  // @ts-expect-error: an unknown option
  mapReduce(count, { memroy: '64MB' })
  // @ts-expect-error: a size is a number or a string
  mapReduce(count, { memory: true })
  // @ts-expect-error: run needs its input
  run(count, { memory: '1GB' })
  mapReduce('./count.js', { format: 'lines', outputFormat: 'tsv' })
  for await (const bytes of run('./count.js', { input: 'in.txt', outputFormat: 'ndjson' })) { const b: Buffer = bytes; void b }
  const stats = await run(count, { input: process.stdin, signal: AbortSignal.timeout(1000) }).stats
  const spills: number = stats.counters.spills
  void spills
}
void outputs

// field and words cut a line as split does: field may be undefined past the last field
const paths = defineJob({
  map (line: string, emit: Emit<string, number>) {
    const path = field(line, 6)
    if (path !== undefined) emit(path, 1)
    words(line, w => emit(w, 1), '\t')
  },
  reduce: sum,
})
void paths
// @ts-expect-error: field's result may be undefined, not a string
export const notAString: string = field('a b', 3)
