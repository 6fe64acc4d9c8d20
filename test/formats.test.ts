// Inputs of different formats in one run (a reduce-side join of a CSV and an NDJSON input):
// each input is read in its own format, chosen by FILE:FORMAT, --format or its extension,
// whether it is split among tasks (plain files), streamed (stdin, gzip) or read whole; ctx.file
// names the input each record came from. The same in `mrstream map`, by the file Hadoop names.
import t, { type Test } from 'tap'
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import { spawnCli, type Result } from './helpers/cli.js'

t.setTimeout(300_000)

const place = fileURLToPath(new URL('fixtures/jobs/place.mjs', import.meta.url))

async function mrs (t: Test, dir: string, args: string[], stdin?: string, vars?: Record<string, string>): Promise<Result> {
  const tmp = mkdtempSync(join(dir, 'tmp-'))
  const r = await spawnCli([...args, '--tmp-dir', tmp], dir, { stdin, vars })
  t.same(readdirSync(tmp), [], `--tmp-dir is empty after: mrstream ${args.join(' ')}`)
  return r
}

/** place.mjs's output (ndjson): each record under "file:line", in key order (strings by code point). */
function placed (records: Array<[string, unknown]>): string {
  return records.sort(([a], [b]) => Buffer.compare(Buffer.from(a), Buffer.from(b))).map(([k, r]) => JSON.stringify([k, [r]]) + '\n').join('')
}

const users = 'id,name\n1,ann\n2,"bob, jr"\n'
const orders = '{"user":"1","total":5}\n\n{"user":"2","total":7}\n'

t.test('by extension without --format: csv, ndjson, jsonl.gz and lines side by side', async t => {
  const dir = t.testdir({ 'users.csv': users, 'orders.ndjson': orders, 'notes.txt': 'x,y\n{"a":1}\n' })
  writeFileSync(join(dir, 'more.jsonl.gz'), gzipSync('[1,2]\n"s"\n'))
  const r = await mrs(t, dir, ['--job', place, '--output-format', 'ndjson', '-q', '--workers', '2', 'users.csv', 'orders.ndjson', 'more.jsonl.gz', 'notes.txt'])
  t.equal(r.code, 0, r.stderr)
  t.equal(r.stdout, placed([
    ['users.csv:2', { id: '1', name: 'ann' }], ['users.csv:3', { id: '2', name: 'bob, jr' }],
    ['orders.ndjson:1', { user: '1', total: 5 }], ['orders.ndjson:3', { user: '2', total: 7 }],
    ['more.jsonl.gz:1', [1, 2]], ['more.jsonl.gz:2', 's'],
    ['notes.txt:1', 'x,y'], ['notes.txt:2', '{"a":1}'],
  ]))
})

t.test('FILE:FORMAT gives one input its own format, over --format; stdin too (-:csv)', async t => {
  const dir = t.testdir({ 'users.dat': users, 'orders.ndjson': orders })
  const r = await mrs(t, dir, ['--job', place, '--output-format', 'ndjson', '-q', '--format', 'lines', '-:csv', 'orders.ndjson', 'users.dat:csv'], users)
  t.equal(r.code, 0, r.stderr)
  t.equal(r.stdout, placed([
    ['-:2', { id: '1', name: 'ann' }], ['-:3', { id: '2', name: 'bob, jr' }],
    ['orders.ndjson:1', '{"user":"1","total":5}'], ['orders.ndjson:2', ''], ['orders.ndjson:3', '{"user":"2","total":7}'],
    ['users.dat:2', { id: '1', name: 'ann' }], ['users.dat:3', { id: '2', name: 'bob, jr' }],
  ]), '--format lines for the rest: orders.ndjson as lines')
  const missing = await mrs(t, dir, ['--job', place, 'orders.ndjson:yaml'])
  t.equal(missing.code, 1)
  t.match(missing.stderr, /input orders\.ndjson:yaml: no such file/, 'an unknown format is part of the file name')
})

t.test('a large NDJSON file split among tasks beside a CSV one read whole: every record once, in its format', async t => {
  const dir = t.testdir()
  const n = 20_000
  const rows = Array.from({ length: n }, (_, i) => JSON.stringify({ user: String(i % 97), total: i }))
  writeFileSync(join(dir, 'orders.ndjson'), rows.join('\n') + '\n')
  writeFileSync(join(dir, 'users.csv'), 'id,name\n' + Array.from({ length: 97 }, (_, i) => `${i},u${i}`).join('\n') + '\n')
  // the join: per user, its name (from the CSV) and its orders' count and total (from the NDJSON)
  const job = join(dir, 'join.mjs')
  writeFileSync(job, `export function map (r, emit, ctx) {
  if (ctx.file.endsWith('.csv')) emit(Number(r.id), { name: r.name })
  else emit(Number(r.user), { total: r.total })
}
export function reduce (id, values) {
  let name = null, count = 0, total = 0
  for (const v of values) { if ('name' in v) name = v.name; else { count++; total += v.total } }
  return [name, count, total]
}
`)
  const want: string[] = []
  for (let u = 0; u < 97; u++) {
    let count = 0
    let total = 0
    for (let i = u; i < n; i += 97) { count++; total += i }
    want.push(`${u}\t["u${u}",${count},${total}]\n`)
  }
  const r = await mrs(t, dir, ['--job', job, '--memory', '256KB', '--workers', '2', '-q', 'orders.ndjson', 'users.csv'])
  t.equal(r.code, 0, r.stderr)
  t.equal(r.stdout, want.join(''))
})

t.test('mrstream map: the format of the file Hadoop names, unless --format', async t => {
  const dir = t.testdir()
  const vars = { mapreduce_map_input_file: 'hdfs://nn/in/orders.ndjson.gz' }
  const r = await mrs(t, dir, ['map', '--job', place], orders, vars)
  t.equal(r.code, 0, r.stderr)
  t.equal(r.stdout, '"hdfs://nn/in/orders.ndjson.gz:1"\t{"user":"1","total":5}\n"hdfs://nn/in/orders.ndjson.gz:3"\t{"user":"2","total":7}\n')
  const lines = await mrs(t, dir, ['map', '--job', place, '--format', 'lines'], '{"a":1}\n', vars)
  t.equal(lines.stdout, '"hdfs://nn/in/orders.ndjson.gz:1"\t"{\\"a\\":1}"\n', '--format over the name')
  const csv = await mrs(t, dir, ['map', '--job', place], users, { mapreduce_map_input_file: 'users.csv', mapreduce_map_input_start: '100' })
  t.equal(csv.code, 2)
  t.match(csv.stderr, /users\.csv: a csv input needs whole files/)
})
