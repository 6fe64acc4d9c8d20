// The status line: what it says in each phase, and that it always fits the width it is given.
import t from 'tap'
import fc from 'fast-check'
import { RateMeter, formatProgress } from '../../dist/lib/report/progress.js'
import type { Progress } from '../../dist/lib/exec/engine.js'

const base: Progress = { step: 1, steps: 1, phase: 'map', pass: 0, bytesRead: 0, bytesTotal: undefined, records: 0, done: 0, total: 0, spills: 0, retries: 0, elapsedMs: 0 }

t.test('a file of known size: percent, bytes of the whole, ETA and rates', async t => {
  const meter = new RateMeter()
  meter.add({ ...base, bytesTotal: 100 << 20 })
  const p = { ...base, bytesTotal: 100 << 20, bytesRead: 25 << 20, records: 500_000, elapsedMs: 5000 }
  const line = formatProgress(p, meter.add(p), 200)
  t.equal(line, 'mrstream: map  [#####...............]  25%  25.0 MB of 100 MB  ETA 15s  5.00 MB/s  100.0K records/s  5s')
})

t.test('stdin: bytes and rate; a hint while nothing has arrived', async t => {
  const stdin = formatProgress({ ...base, bytesRead: 3 << 20, elapsedMs: 3000 }, { bytesPerSec: 1 << 20, recordsPerSec: 10 }, 200, true)
  t.equal(stdin, 'mrstream: map  3.00 MB read  1.00 MB/s  10 records/s  3s')
  t.match(formatProgress({ ...base, elapsedMs: 3000 }, { bytesPerSec: 0, recordsPerSec: 0 }, 200, true), /waiting for input on stdin/)
  t.notMatch(formatProgress({ ...base, elapsedMs: 500 }, { bytesPerSec: undefined, recordsPerSec: undefined }, 200, true), /waiting/, 'not at once')
})

t.test('merge, reduce and output phases have their own fraction; a chain names its step', async t => {
  const none = { bytesPerSec: undefined, recordsPerSec: undefined }
  const merge = formatProgress({ ...base, phase: 'merge', pass: 2, done: 1, total: 4, spills: 7 }, none, 200)
  t.equal(merge, 'mrstream: merge pass 2  [#####...............]  25%  1/4 tasks  7 spills  0s')
  const reduce = formatProgress({ ...base, phase: 'reduce', done: 3, total: 4, retries: 1 }, none, 200)
  t.equal(reduce, 'mrstream: reduce  [###############.....]  75%  3/4 tasks  1 retry  0s')
  const output = formatProgress({ ...base, step: 2, steps: 3, phase: 'output', done: 0, total: 1 }, none, 200)
  t.equal(output, 'mrstream: step 2/3 output  [....................]  0%  0/1 files  0s')
})

t.test('the line never passes the width; the parts that go first are the least useful', async t => {
  const phase = fc.constantFrom<Progress['phase']>('map', 'merge', 'reduce', 'output')
  const counts = fc.tuple(fc.nat(1e9), fc.nat(100), fc.nat(100), fc.nat(1e7), fc.integer({ min: 1, max: 9 }))
  fc.assert(fc.property(phase, fc.nat(2 ** 40), fc.option(fc.nat(2 ** 40)), fc.integer({ min: 20, max: 300 }), counts,
    (ph, bytesRead, total, width, [records, done, more, spills, steps]) => {
      const p: Progress = { ...base, phase: ph, bytesRead, bytesTotal: total ?? undefined, records, done, total: done + more, spills, steps, step: steps, pass: ph === 'merge' ? 3 : 0, elapsedMs: 123_456 }
      const line = formatProgress(p, { bytesPerSec: 12345678, recordsPerSec: 98765 }, width, true)
      return line.length <= width && line.startsWith('mrstream:')
    }))
  const p = { ...base, bytesTotal: 1 << 30, bytesRead: 1 << 29, spills: 3, elapsedMs: 60_000 }
  const at50 = formatProgress(p, { bytesPerSec: 1 << 20, recordsPerSec: 1000 }, 50)
  t.ok(at50.length <= 50)
  t.match(at50, /50%/, 'the percent stays at 50 columns')
  t.notMatch(at50, /\[/, 'the bar goes first')
})
