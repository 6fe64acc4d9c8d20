// The library's options: the command line's, camel-cased, with its defaults (one table,
// lib/options.ts), sizes as strings or numbers; unknown or bad options refused at once.
import t from 'tap'
import { settings } from '../../dist/lib/options.js'
import { mapReduce, run, runJob } from 'mrstream'

const job = new URL('../../examples/wordcount.js', import.meta.url)

t.test('defaults and sizes', async t => {
  const d = settings({})
  t.match(d, { memory: 256 * 1024 ** 2, format: undefined, outputFormat: 'tsv', maxBadRecords: 0, maxLineBytes: 64 * 1024 ** 2, taskTimeoutMs: 600_000, heapMb: undefined })
  t.ok(d.workers >= 1 && d.fanIn >= 2)
  t.same(settings({ memory: '64KB', maxLineBytes: '1MB' }), settings({ memory: 65536, maxLineBytes: 1 << 20 }), 'a size as a string or as bytes')
  t.same(settings({ workers: '3', fanIn: '8', taskTimeout: '0' }), settings({ workers: 3, fanIn: 8, taskTimeout: 0 }), 'counts as the command line gives them, or numbers')
  t.equal(settings({ memory: '1.5GB' }).memory, 1.5 * 1024 ** 3)
})

t.test('bad values, named as each side names them', async t => {
  const bad: Array<[Record<string, unknown>, RegExp]> = [
    [{ memory: '31KB' }, /^memory "31KB": at least 32KB/],
    [{ memory: 'lots' }, /^memory "lots": expected a size/],
    [{ memory: -1 }, /^memory -1: expected a number of bytes/],
    [{ workers: 0 }, /^workers 0: expected a whole number >= 1/],
    [{ workers: 1.5 }, /^workers 1.5/],
    [{ workers: 5000 }, /^workers 5000: at most 1024/],
    [{ format: 'xml' }, /^format "xml": expected one of lines, ndjson, csv, file/],
    [{ outputFormat: 'csv' }, /^outputFormat "csv": expected one of tsv, ndjson/],
    [{ maxBadRecords: -1 }, /^maxBadRecords -1/],
    [{ fanIn: 1 }, /^fanIn 1: expected a whole number >= 2/],
    [{ tmpDir: '' }, /^tmpDir "": expected a directory/],
  ]
  for (const [o, message] of bad) t.throws(() => settings(o), { code: 'MRS_ERR_USAGE', message }, JSON.stringify(o))
  const flag = (name: string): string => '--' + name.replace(/[A-Z]/g, c => '-' + c.toLowerCase())
  t.throws(() => settings({ maxBadRecords: 'x' }, flag as never), { code: 'MRS_ERR_USAGE', message: /^--max-bad-records "x"/ }, 'the command line names its flags')
})

t.test('the library refuses what it does not know, at once', async t => {
  t.throws(() => mapReduce(job, { memroy: '1GB' } as never), { code: 'MRS_ERR_USAGE', message: /unknown option "memroy" \(did you mean memory\?\)/ })
  t.throws(() => mapReduce(job, { 'tmp-dir': '/tmp' } as never), { code: 'MRS_ERR_USAGE', message: /did you mean tmpDir\?/ })
  t.throws(() => mapReduce(job, { colour: 'red' } as never), { code: 'MRS_ERR_USAGE', message: /the options are memory, workers/ })
  t.throws(() => mapReduce(job, { workers: 0 }), { code: 'MRS_ERR_USAGE' })
  t.throws(() => mapReduce(job, { signal: {} } as never), { code: 'MRS_ERR_USAGE', message: /AbortSignal/ })
  t.throws(() => run(job, {} as never), { code: 'MRS_ERR_USAGE', message: /options\.input is required/ })
  t.throws(() => run(job, { input: 42 } as never), { code: 'MRS_ERR_USAGE', message: /input: expected file paths/ })
  t.throws(() => run(job, { input: ['a b', 'b'] }), { code: 'MRS_ERR_INPUT', message: /no such file \(input names files; give records as a stream or an iterable/ }, 'records given as an array of strings')
  await t.rejects(runJob(job, ['a'], { format: 'lines' }), { code: 'MRS_ERR_USAGE' })
  await t.rejects(runJob(job, 'a b' as never), { code: 'MRS_ERR_USAGE', message: /records must be an array/ })
})
