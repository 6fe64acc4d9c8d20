// Backpressure on the input: a producer much faster than the map is paused. With the map held
// still (one worker; jobs.mjs' waitInMap waits in the third record until told to go on), the
// records taken from a producer of 20 times the budget stay within it; told to go on, the job
// reads the rest.
import t from 'tap'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { mapReduce, run } from 'mrstream'

t.setTimeout(600_000)

const { waitInMap } = await import(new URL('../fixtures/api/jobs.mjs', import.meta.url).href) as { waitInMap: object }
const RECORD = 'x'.repeat(99) // 100 bytes a line
const MEMORY = 256 << 10
const RECORDS = 50_000 // 5 MB: 20 times the budget

/** Resolves once `taken()` has not grown for 5 looks in a row (the producer is paused). */
async function settled (taken: () => number): Promise<number> {
  let last = -1
  for (let same = 0; same < 5;) {
    await new Promise(resolve => setTimeout(resolve, 100))
    same = taken() === last ? same + 1 : 0
    last = taken()
  }
  return last
}

async function marked (dir: string, phase: string): Promise<void> {
  const { existsSync } = await import('node:fs')
  while (!existsSync(join(dir, phase))) await new Promise(resolve => setTimeout(resolve, 20))
}

t.test('run(): a fast iterable is read no further than the budget allows', async t => {
  const markers = t.testdir()
  process.env.MRS_TEST_MARKERS = markers
  let taken = 0
  function * records (): Generator<string> {
    for (; taken < RECORDS;) { taken++; yield `${taken % 100} ${RECORD}` }
  }
  const output = run(waitInMap, { input: records(), memory: MEMORY, workers: 1, tmpDir: t.testdir() })
  const pairs = (async () => { let n = 0; for await (const _ of output) n++; return n })()
  await marked(markers, 'map')
  const held = await settled(() => taken)
  t.ok(held * 100 <= MEMORY, `records taken while the map is held: ${held} (${held * 100} bytes), within the budget of ${MEMORY}`)
  writeFileSync(join(markers, 'go'), '')
  t.equal(await pairs, 100, 'then every record, once')
  t.equal((await output.stats).counters.records, RECORDS)
})

t.test('mapReduce(): a writer is paused (write() returns false) and resumes on drain', async t => {
  const markers = t.testdir()
  mkdirSync(markers, { recursive: true })
  process.env.MRS_TEST_MARKERS = markers
  let taken = 0
  const source = new Readable({
    read () {
      for (;;) {
        if (taken === RECORDS) { this.push(null); return }
        taken++
        if (!this.push(`${taken % 100} ${RECORD}\n`)) return
      }
    },
  })
  const stream = mapReduce(waitInMap, { format: 'lines', memory: MEMORY, workers: 1, tmpDir: t.testdir() })
  source.pipe(stream)
  const pairs = (async () => { let n = 0; for await (const _ of stream) n++; return n })()
  await marked(markers, 'map')
  const held = await settled(() => taken)
  t.ok(held * 100 <= 2 * MEMORY, `lines read while the map is held: ${held} (${held * 100} bytes; the source's own buffer and the stream's are counted too)`)
  writeFileSync(join(markers, 'go'), '')
  t.equal(await pairs, 100)
  t.equal((await stream.stats).counters.records, RECORDS)
})
