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
