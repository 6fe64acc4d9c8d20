// reduce-task.ts: a reduce task that fails leaves no file open, whether it fails opening its
// runs (missing, corrupt) or in the job's reduce; one that succeeds writes its fragments.
import t from 'tap'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { reduceTask, type ReduceSpec } from '../../dist/lib/reduce/reduce-task.js'
import { RunWriter } from '../../dist/lib/runs/run-writer.js'
import { encodeKey } from '../../dist/lib/codec/keys.js'
import type { Context, Job } from '../../dist/lib/job/job.js'
import { openFiles } from '../helpers/fds.js'

const dir = mkdtempSync(join(tmpdir(), 'mrstream-test-reduce-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))

const ctx: Context = { file: '', line: 0, count: () => {} }
const opts = { maxBadRecords: 0, badSoFar: 0 }
const sumJob: Job = { map: () => {}, reduce: (_k: unknown, vs: Iterable<number>) => { let s = 0; for (const v of vs) s += v; return s } }

function run (name: string, keys: string[]): string {
  const p = join(dir, name)
  const w = new RunWriter(p, 'spill')
  for (const k of keys) {
    w.startGroup(encodeKey(k), 1)
    w.value(1)
  }
  w.close()
  return p
}

function spec (runs: string[], name: string): ReduceSpec {
  return { runs, lo: null, hi: null, fragments: [0, 1, 2].map(i => join(dir, `${name}-${i}.part`)), format: 'tsv', bufferBytes: 64 << 10 }
}

// the files of the test's folder this process holds open
const openHere = (): string[] => openFiles(dir)

const good = run('good.run', ['a', 'b', 'c'])
const corrupt = join(dir, 'corrupt.run')
writeFileSync(corrupt, Buffer.alloc(4096, 0x5a))

t.test('a reduce task writes its keys to its fragments and closes them', async t => {
  const s = spec([good, good], 'ok')
  const { counters } = await reduceTask(sumJob, s, ctx, opts)
  t.same(counters, { keys: 3, written: 3, badRecords: 0 })
  t.same(s.fragments.map(f => readFileSync(f, 'utf8')).join('').split('\n').sort(), ['', 'a\t2', 'b\t2', 'c\t2'])
  t.same(openHere(), [])
})

t.test('a corrupt or missing run fails the task with no fragment or run left open', async t => {
  for (const [name, runs, code] of [
    ['corrupt', [good, corrupt], 'MRS_ERR_RUN_CORRUPT'],
    ['missing', [good, join(dir, 'missing.run')], 'MRS_ERR_RUN_CORRUPT']
  ] as const) {
    await t.rejects(reduceTask(sumJob, spec([...runs], name), ctx, opts), { code }, name)
    t.same(openHere(), [], `${name}: no file left open`)
  }
})

t.test('a reduce that throws fails the task with no fragment or run left open', async t => {
  const job: Job = { map: () => {}, reduce: (k: unknown) => { if (k === 'b') throw new Error('boom'); return 1 } }
  await t.rejects(reduceTask(job, spec([good], 'throws'), ctx, opts), { code: 'MRS_ERR_REDUCE' })
  t.same(openHere(), [])
})
