// mrstream as a library: a job defined in this module, run four ways.
//   node examples/library.mjs
import { createReadStream } from 'node:fs'
import { Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { defineJob, mapReduce, run, runJob, sum } from 'mrstream'

// Worker threads load this module to make the job again; run(), mapReduce() and runJob() never
// return there, so the code below them runs once, here.
export const count = defineJob({
  map (line, emit) { for (const word of line.toLowerCase().split(/\W+/)) if (word) emit(word, 1) },
  reduce: sum,
  combine: sum,
})

// 1. unit-test a job: at least two map tasks and spills, even on two records
const { pairs } = await runJob(count, ['The cat', 'the hat'])
console.log(pairs) // [ [ 'cat', 1 ], [ 'hat', 1 ], [ 'the', 2 ] ]

// 2. an async iterable over files (or a stream, or an iterable of records), and its counters
const words = run(count, { input: ['examples/data/pg-metamorphosis.txt'], memory: '64MB' })
let top = ['', 0]
for await (const [word, n] of words) if (n > top[1]) top = [word, n]
console.log('most frequent:', top, 'records:', (await words.stats).counters.records)

// 3. a stage of a pipeline: bytes in, cut into lines, [key, value] pairs out
let distinct = 0
await pipeline(
  createReadStream('examples/data/pg-being_ernest.txt'),
  mapReduce(count, { format: 'lines' }),
  new Writable({ objectMode: true, write (_pair, _encoding, done) { distinct++; done() } })
)
console.log('distinct words:', distinct)

// 4. records in (strings, or objects), output lines out
await pipeline(['to be', 'or not', 'to be'], mapReduce(count, { outputFormat: 'tsv' }), process.stdout)
