// The property family through the library: random inputs, jobs and settings (--memory down to
// 64KB, 1-4 workers), the job given by its path; mapReduce() fed the bytes of a file (in chunks
// of random sizes) or its lines as records, run() over the files. Every output equals the
// sequential oracle's, and mapReduce()'s bytes equal the command line's over the same stdin.
//
// Reproduce a failure with the seed it prints: MRS_SEED=<seed> node test/api/property.unit.js
import t from 'tap'
import { Readable, Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { mkdirSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import fc from 'fast-check'
import { formatPairs, linesOf, runJobPairs, recordsOf, loadJob, oracle, type OutputFormat } from '../oracle.js'
import { firstDifference, holds, prepare, Scratch } from '../helpers/case.js'
import { fileSpecArb, fileBytes, memoryArb, spillingSpecArb, workersArb, type FileSpec } from '../helpers/gen.js'
import { jobNames, jobs } from '../helpers/jobs.js'
import { cleanEnv, runCli } from '../helpers/run.js'
import { mapReduce, run } from 'mrstream'
import { depth } from '../helpers/depth.js'

t.setTimeout(900_000)

const SEED = Number(process.env.MRS_SEED ?? 0x6d72)
const RUNS = Number(process.env.MRS_RUNS ?? depth(0.5, 1))

type Way = 'bytes' | 'records' | 'files'

interface Case {
  job: string
  files: FileSpec[]
  way: Way
  memory: string
  workers: number
  outputFormat: OutputFormat
  /** Bytes a write (the bytes way). */
  write: number
}

const caseArb: fc.Arbitrary<Case> = fc.record({
  job: fc.constantFrom(...jobNames),
  files: fc.array(fileSpecArb, { minLength: 1, maxLength: 3 }),
  way: fc.constantFrom<Way>('bytes', 'records', 'files'),
  memory: memoryArb,
  workers: workersArb,
  outputFormat: fc.constantFrom<OutputFormat>('tsv', 'ndjson'),
  write: fc.oneof(fc.integer({ min: 1, max: 100 }), fc.integer({ min: 100, max: 300_000 })),
})

/** `bytes` in writes of `size` bytes. */
function * writes (bytes: Buffer, size: number): Generator<Buffer> {
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size)
}

function collect<T> (into: T[]): Writable {
  return new Writable({ objectMode: true, write (x: T, _e, cb) { into.push(x); cb() } })
}

/** Runs a case in a scratch directory (kept when it fails); throws, describing it, on a difference. */
async function check (c: Case): Promise<void> {
  const scratch = new Scratch('mrstream-api-test-')
  let ok = false
  try {
    const files = c.files.map(fileBytes)
    const pc = prepare(scratch.dir, jobs[c.job]!, { files, names: c.files.map((s, i) => `in${i}.txt${s.gzip ? '.gz' : ''}`) })
    const tmpDir = join(scratch.dir, 'tmp')
    mkdirSync(tmpDir)
    const options = { memory: c.memory, workers: c.workers, tmpDir }
    const what = `job ${c.job} through ${c.way === 'files' ? 'run()' : `mapReduce() (${c.way})`}, ${files.map(f => f.length).join('+')} bytes, --memory ${c.memory} --workers ${c.workers}, case dir ${scratch.dir}`
    let got: Buffer
    let want: Buffer
    if (c.way === 'files') {
      want = await oracle(await loadJob(pc.jobPath), pc.inputs, c.outputFormat)
      const pairs: Array<[unknown, unknown]> = []
      const chunks: Buffer[] = []
      // object mode for tsv, the output's bytes for ndjson
      if (c.outputFormat === 'tsv') for await (const pair of run(pc.jobPath, { ...options, input: pc.inputArgs })) pairs.push(pair)
      else for await (const bytes of run(pc.jobPath, { ...options, input: pc.inputArgs, outputFormat: 'ndjson' })) chunks.push(bytes)
      got = c.outputFormat === 'tsv' ? formatPairs(pairs) : Buffer.concat(chunks)
    } else {
      // one stream: the first file's bytes, or its lines as records (ctx.file is '-')
      const input = [{ name: '-', bytes: files[0]! }]
      want = await oracle(await loadJob(pc.jobPath), input, c.outputFormat)
      if (c.way === 'bytes') {
        const chunks: Buffer[] = []
        await pipeline(Readable.from(writes(files[0]!, c.write)), mapReduce(pc.jobPath, { ...options, format: 'lines', outputFormat: c.outputFormat }), collect(chunks))
        got = Buffer.concat(chunks)
        const cli = await runCli(['--job', pc.jobPath, '--memory', c.memory, '--workers', String(c.workers), '--output-format', c.outputFormat, '-q', '-'], { stdin: files[0], env: cleanEnv() })
        if (cli.code !== 0) throw new Error(`${what}\n  the command line failed: ${cli.stderr}`)
        if (!got.equals(cli.stdout)) throw new Error(`${what}\n  output differs from the command line's at ${firstDifference(got, cli.stdout)}`)
      } else {
        const pairs: Array<[unknown, unknown]> = []
        await pipeline(Readable.from(linesOf(files[0]!)), mapReduce(pc.jobPath, options), collect(pairs))
        // (the pairs themselves, as the oracle's reduce made them, and as written out)
        const wantPairs = await runJobPairs(await loadJob(pc.jobPath), recordsOf(input))
        if (JSON.stringify(pairs) !== JSON.stringify(wantPairs)) throw new Error(`${what}\n  pairs differ from the oracle's`)
        got = formatPairs(pairs, c.outputFormat)
      }
    }
    if (!got.equals(want)) throw new Error(`${what}\n  output differs from the oracle at ${firstDifference(got, want)}`)
    const left = readdirSync(tmpDir)
    if (left.length > 0) throw new Error(`${what}\n  --tmp-dir not empty after: ${left.join(', ')}`)
    ok = true
  } finally {
    if (ok) scratch.remove()
  }
}

t.test('mapReduce() and run() equal the oracle and the command line', async t => {
  await holds(t, fc.asyncProperty(caseArb, check), {
    seed: SEED,
    numRuns: Math.round(8 * RUNS),
    // (a failure is shrunk for at most this long: the smallest case found by then is reported)
    interruptAfterTimeLimit: 300_000,
    markInterruptAsFailure: false,
  }, `equal the oracle (seed ${SEED})`)
})

// Jobs at 64KB over a large input given as records: many spills and merges, the values of a
// key spread over many runs, records handed over in many chunks and tasks. (Every job spills
// through the command line in test/property.test.ts; here a few, drawn, through the library.)
t.test('jobs at 64KB, records in', async t => {
  await holds(t, fc.asyncProperty(fc.constantFrom(...jobNames), spillingSpecArb, workersArb, async (job, spec, workers) => {
    await check({ job, files: [{ kind: 'big', gzip: false, ...spec }], way: 'records', memory: '64KB', workers, outputFormat: 'tsv', write: 0 })
  }), { seed: SEED, numRuns: Math.max(1, Math.round(5 * RUNS)), endOnFailure: true }, `jobs at 64KB equal the oracle (seed ${SEED})`)
})
