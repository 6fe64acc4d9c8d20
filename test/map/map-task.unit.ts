// map-task.ts: a map-only task writes its pairs to its output file in emit order, and closes
// that file whether it finishes or fails (a map that throws, an output that cannot be written).
import t from 'tap'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MapTask, type MapTaskOptions } from '../../dist/lib/map/map-task.js'
import type { Job } from '../../dist/lib/job/job.js'
import { openFiles } from '../helpers/fds.js'

const dir = mkdtempSync(join(tmpdir(), 'mrstream-test-map-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))

// a map-only job whose map throws on the line 'boom'
const job: Job = { map: (line, emit) => { if (line === 'boom') throw new Error('boom'); emit(line, 1) } }

function task (path: string): MapTask {
  const opts: MapTaskOptions = { job, format: 'lines', budget: 1 << 20, maxBadRecords: 0, badSoFar: 0, nextRunPath: () => join(dir, 'unused.run'), output: { path, format: 'tsv' } }
  return new MapTask(opts)
}

const chunk = (text: string): { file: string, firstLine: number, data: Uint8Array } => ({ file: 'in.txt', firstLine: 1, data: Buffer.from(text) })

t.test('a map-only task writes its pairs in emit order and closes its file', async t => {
  const path = join(dir, 'ok.out')
  const m = task(path)
  await m.chunk(chunk('b\na\n'))
  t.equal(m.finish().output, path)
  t.equal(readFileSync(path, 'utf8'), 'b\t1\na\t1\n')
  t.same(openFiles(dir), [])
})

t.test('a map-only task whose map throws leaves its file closed', async t => {
  const m = task(join(dir, 'failed.out'))
  await t.rejects(m.chunk(chunk('a\nboom\n')), { code: 'MRS_ERR_MAP' })
  t.same(openFiles(dir), [])
})

t.test('a map-only task whose output cannot be written (disk full) leaves it closed', { skip: !existsSync('/dev/full') && 'no /dev/full' }, async t => {
  const m = task('/dev/full')
  await m.chunk(chunk('a\n'))
  t.throws(() => m.finish(), { code: 'MRS_ERR_IO' })
  t.same(openFiles('/dev/full'), [])
})

// Past 65,536 keys the sort buffer holds pairs of an ASCII key and a number until the map call
// returns (64 at most), and adds them then: a combine that fails on one of them fails the task
// there, naming that pair's record, even for a map that catches what its emit throws.
t.test('a combine that fails on a held pair fails the task at its record, though the map catches emit\'s errors', async t => {
  const refusing: Job = {
    map: (line, emit) => {
      const [k, v] = (line as string).split(' ')
      try { emit(k, Number(v)) } catch { /* the job skips what emit refuses */ }
    },
    combine: (_k, vs) => { let n = 0; for (const v of vs) { if (v === 13) throw new Error('thirteen'); n += v as number } return n },
    reduce: (_k, vs) => { let n = 0; for (const v of vs) n += v as number; return n },
  }
  const lines: string[] = []
  // two pairs a key, so that the buffer goes on indexing; then pairs of keys it holds
  for (let i = 0; i < 70_000; i++) lines.push(`k${i} 1`, `k${i >> 1} 1`)
  for (let i = 0; i < 200; i++) lines.push(i === 10 ? 'k5 13' : `k${i % 50} 1`)
  const badLine = lines.indexOf('k5 13') + 1
  const opts: MapTaskOptions = { job: refusing, format: 'lines', budget: 64 << 20, maxBadRecords: 0, badSoFar: 0, nextRunPath: () => join(dir, `held-${n++}.run`) }
  let n = 0
  const m = new MapTask(opts)
  await t.rejects(m.chunk(chunk(lines.join('\n') + '\n')), { code: 'MRS_ERR_COMBINE', message: new RegExp(`^combine failed \\(map side, at in\\.txt:${badLine}\\): .*thirteen`) }, 'the held pair\'s record, by its line')
})
