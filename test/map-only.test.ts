// Map-only jobs (no reduce): the map's pairs are the output, in input order, whatever the
// splits, workers and --memory; --reducers has no meaning for them and is refused; a chain may
// have map-only steps; the streaming commands run them as Hadoop's -numReduceTasks 0 does.
import t from 'tap'
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { spawnCli } from './helpers/cli.js'

t.setTimeout(120_000)

// one input line per number, its words spread over keys of several types
const lines = Array.from({ length: 30_000 }, (_, i) => `${i % 7 === 0 ? '' : `w${i % 13} `}${i}\t${i % 3 === 0 ? 'x' : 'y z'}`)
const input = lines.join('\n') + '\n'
const head = (n: number): string => lines.slice(0, n).join('\n') + '\n'

const filter = `export function map (line, emit, ctx) {
  const [a, b] = line.split('\\t')
  if (b === 'x') return
  emit(a.startsWith('w') ? [a.split(' ')[0], ctx.line] : Number(a), b + ':' + ctx.file.split('/').pop())
}
`

/** What the filter job writes: its pairs, as tsv, in input order (ctx.line counted within each file). */
function expected (files: Array<{ name: string, text: string }>): string {
  let out = ''
  for (const f of files) {
    f.text.split('\n').slice(0, -1).forEach((line, i) => {
      const [a, b] = line.split('\t') as [string, string]
      if (b === 'x') return
      const key = a.startsWith('w') ? JSON.stringify([a.split(' ')[0], i + 1]) : String(Number(a))
      out += `${key}\t${b}:${f.name}\n`
    })
  }
  return out
}

t.test('the map\'s pairs in input order, for any --workers and --memory, from files, stdin and gzip', async t => {
  const dir = t.testdir({ 'filter.mjs': filter, 'a.txt': input, 'b.txt.gz': gzipSync(head(400)) })
  const want = expected([{ name: 'a.txt', text: input }, { name: 'b.txt.gz', text: head(400) }, { name: '-', text: head(90) }])
  for (const [workers, memory] of [['1', '256MB'], ['3', '64KB']]) {
    const r = await spawnCli(['--job', 'filter.mjs', '-q', '--workers', workers, '--memory', memory, '--tmp-dir', dir, 'a.txt', 'b.txt.gz', '-'], dir, { stdin: head(90) })
    t.equal(r.code, 0, r.stderr)
    t.equal(r.stdout, want, `--workers ${workers} --memory ${memory}: input order`)
  }
  const file = await spawnCli(['--job', 'filter.mjs', '--workers', '2', '--memory', '64KB', '-o', 'out.ndjson', '--output-format', 'ndjson', '--stats', 'stats.json', '--tmp-dir', dir, 'a.txt'], dir)
  t.equal(file.code, 0, file.stderr)
  const ndjson = readFileSync(join(dir, 'out.ndjson'), 'utf8')
  t.equal(ndjson.split('\n').length - 1, expected([{ name: 'a.txt', text: input }]).split('\n').length - 1, '-o FILE: every pair')
  const stats = JSON.parse(readFileSync(join(dir, 'stats.json'), 'utf8')) as { counters: Record<string, number> }
  t.equal(stats.counters.written, stats.counters.pairs, 'records written = pairs emitted')
  t.equal(stats.counters.keys, 0, 'no keys reduced')
  t.equal(stats.counters.spills, 0, 'nothing sorted or spilled')
  t.strictSame(readdirSync(dir).filter(n => n.startsWith('mrstream-')), [], 'no temp directory left')
})

t.test('--reducers is refused, -m alone is a map-only job, and the shape is checked', async t => {
  const dir = t.testdir({ 'filter.mjs': filter, 'in.txt': 'a b\n\nc\n', 'null.mjs': 'export const map = (l, emit) => emit(l, 1)\nexport const reduce = null\n' })
  const reducers = await spawnCli(['--job', 'filter.mjs', '-o', 'out', '--reducers', '2', 'in.txt'], dir)
  t.equal(reducers.code, 2)
  t.match(reducers.stderr, /--reducers 2: the job is map-only \(no reduce\): its pairs are written in input order, not partitioned by key/)
  t.strictSame(readdirSync(dir).sort(), ['filter.mjs', 'in.txt', 'null.mjs'], 'nothing made')
  const inline = await spawnCli(['-m', '(line, emit) => { if (line) emit(line, line.length) }', '-q', 'in.txt'], dir)
  t.equal(inline.stdout, 'a b\t3\nc\t1\n')
  const declared = await spawnCli(['--job', 'null.mjs', '-q', 'in.txt'], dir)
  t.equal(declared.stdout, 'a b\t1\n\t1\nc\t1\n', 'reduce: null declares a map-only job')
  const combine = await spawnCli(['-m', '(l, emit) => emit(l, 1)', '--combine', '(k, vs) => 1', 'in.txt'], dir)
  t.equal(combine.code, 2)
  t.match(combine.stderr, /--combine needs -r REDUCE/)
  const badKey = await spawnCli(['-m', '(l, emit) => emit(l ? l : undefined, 1)', '-q', 'in.txt'], dir)
  t.equal(badKey.code, 2, 'a key that is not a key fails the job, as it does with a reduce')
  t.match(badKey.stderr, /map at in\.txt:2: .*undefined/)
})

t.test('--max-bad-records: a failing record\'s pairs are not written', async t => {
  const dir = t.testdir({ 'in.txt': 'a\nboom\nb\n' })
  const map = '(l, emit) => { emit(l, 1); if (l === "boom") throw new Error("no") ; emit(l, 2) }'
  const r = await spawnCli(['-m', map, '-q', '--max-bad-records', '1', 'in.txt'], dir)
  t.equal(r.code, 0, r.stderr)
  t.equal(r.stdout, 'a\t1\na\t2\nb\t1\nb\t2\n')
  const failing = await spawnCli(['-m', map, '-q', 'in.txt'], dir)
  t.equal(failing.code, 1)
  t.match(failing.stderr, /map failed at in\.txt:2: Error: no/)
})

t.test('a chain with map-only steps, locally and as streaming commands', async t => {
  const dir = t.testdir({
    'chain.mjs': `
const words = { map (l, emit) { for (const w of l.split(/\\s+/)) if (w) emit(w.toLowerCase(), w) } }
const count = { map ([k], emit) { emit(k, 1) }, reduce (k, vs) { let n = 0; for (const v of vs) n += v; return n } }
const often = { map ([k, n], emit) { if (n > 1) emit(n, k) } }
export const steps = [words, count, often]
`,
    'in.txt': 'A a b\nB c a\n',
  })
  const local = await spawnCli(['--job', 'chain.mjs', '-q', '--memory', '64KB', 'in.txt'], dir)
  t.equal(local.stdout, '3\ta\n2\tb\n', local.stderr)
  const mrs = (args: string[], stdin: string): Promise<string> => spawnCli([...args, '--job', 'chain.mjs', '-q'], dir, { stdin }).then(r => { t.equal(r.code, 0, r.stderr); return r.stdout })
  const step1 = await mrs(['map'], 'A a b\nB c a\n')
  t.equal(step1, '"a"\t"A"\n"a"\t"a"\n"b"\t"b"\n"b"\t"B"\n"c"\t"c"\n"a"\t"a"\n', 'a map-only step before another writes pairs')
  const sorted = (await mrs(['map', '--step', '2'], step1)).split('\n').filter(Boolean).sort().join('\n') + '\n'
  const step2 = await mrs(['reduce', '--step', '2'], sorted)
  t.equal(await mrs(['map', '--step', '3'], step2), local.stdout, 'the last, map-only step writes the output')
  const reduce = await spawnCli(['reduce', '--job', 'chain.mjs', '--step', '3'], dir, { stdin: '1\t"a"\n' })
  t.equal(reduce.code, 2)
  t.match(reduce.stderr, /step 3 of the job is map-only \(no reduce\): it has no reduce phase/)
})

t.test('the map of a map-only job counts what it wrote', async t => {
  const dir = t.testdir()
  writeFileSync(join(dir, 'in.txt'), 'a\nb\n')
  const r = await spawnCli(['map', '-m', '(l, emit) => emit(l, 1)'], dir, { stdin: 'a\nb\n' })
  // the streaming commands take --job only
  t.equal(r.code, 2)
  const job = join(dir, 'job.mjs')
  writeFileSync(job, 'export function map (l, emit) { emit(l, [1]) }\n')
  const map = await spawnCli(['map', '--job', job], dir, { stdin: 'a\nb\n' })
  t.equal(map.stdout, 'a\t[1]\nb\t[1]\n', 'tsv lines, not protocol lines')
  t.match(map.stderr, /^reporter:counter:mrstream,records written,2$/m)
})
