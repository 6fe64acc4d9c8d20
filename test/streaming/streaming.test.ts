// Hadoop Streaming commands (streaming.ts): `map | sort | combine | reduce` as shell pipelines,
// the way Hadoop (or docs/cli.md's local check) runs them, give the lines a local run gives; values
// of every type cross the protocol unchanged; a chain runs step by step; a key's values stream.
// Each command's inputs, errors and reports are in commands.test.ts.
import t from 'tap'
import fc from 'fast-check'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { shell as sh } from '../helpers/cli.js'
import { fileSpecArb, fileBytes } from '../helpers/gen.js'
import { jobNames, jobs, writeJob } from '../helpers/jobs.js'
import { sample } from '../helpers/depth.js'

const sortedLines = (s: string): string[] => s.split('\n').filter((l, i, a) => i < a.length - 1 || l !== '').sort()

// A stable sort on the key field keeps each key's values in emit order, as one map task's
// output has them: so even jobs whose reduce depends on value order must match a local run.
// A job with groupBy writes its key as two fields (GROUP<TAB>ORDER): sorted on both.
const SHUFFLE = "sort -s -t$'\\t' -k1,1"
const shuffleOf = (source: string): string => /^export const groupBy = /m.test(source) ? "sort -s -t$'\\t' -k1,2" : SHUFFLE

t.test('map | sort | combine | reduce prints the lines of a local run, for every job of the family', async t => {
  const dir = t.testdir()
  const specs = fc.sample(fileSpecArb.filter(s => !s.gzip), { numRuns: jobNames.length, seed: 11 })
  for (const [i, name] of sample([...jobNames.entries()], Math.ceil(jobNames.length / 2))) {
    const job = writeJob(dir, jobs[name]!)
    writeFileSync(join(dir, `in${i}.txt`), fileBytes(specs[i]!))
    const local = await sh(`mrs --job ${job} -q --memory 64KB < in${i}.txt`, dir)
    // a map-only job's map writes the output itself, in input order
    const mapOnly = jobs[name]!.mapOnly === true
    const shuffle = shuffleOf(jobs[name]!.source)
    const hadoop = await sh(mapOnly ? `mrs map --job ${job} < in${i}.txt` : `mrs map --job ${job} < in${i}.txt | ${shuffle} | mrs combine --job ${job} | ${shuffle} | mrs reduce --job ${job}`, dir)
    t.equal(local.code, 0, `${name}: local run`)
    t.equal(hadoop.code, 0, `${name}: streaming pipeline ${hadoop.stderr.split('\n').filter(l => !l.startsWith('reporter:')).join(' ')}`)
    if (mapOnly) t.equal(hadoop.stdout, local.stdout, `${name}: the same lines in the same order`)
    else t.strictSame(sortedLines(hadoop.stdout), sortedLines(local.stdout), `${name}: same lines`)
  }
})

t.test('the pipeline as docs/cli.md gives it (values in shuffle order): jobs whose reduce ignores value order', async t => {
  const dir = t.testdir()
  const specs = fc.sample(fileSpecArb.filter(s => !s.gzip), { numRuns: 4, seed: 12 })
  for (const [i, name] of ['wordcountCombine', 'sumPerKeyCombine', 'pairSums', 'chars'].entries()) {
    const job = writeJob(dir, jobs[name]!)
    writeFileSync(join(dir, `in${i}.txt`), fileBytes(specs[i]!))
    const local = await sh(`mrs --job ${job} -q < in${i}.txt`, dir)
    const hadoop = await sh(`cat in${i}.txt | mrs map --job ${job} | LC_ALL=C sort -t$'\\t' -k1,1 | mrs combine --job ${job} | mrs reduce --job ${job}`, dir)
    t.equal(hadoop.code, 0, hadoop.stderr)
    t.strictSame(sortedLines(hadoop.stdout), sortedLines(local.stdout), `${name}: same lines`)
  }
})

t.test('values of every type cross the protocol unchanged; keys of every type group', async t => {
  const dir = t.testdir()
  const job = join(dir, 'types.mjs')
  writeFileSync(job, `
const values = [undefined, null, true, -0, 0, NaN, Infinity, -Infinity, 2 ** 53 + 2, 12345678901234567890n, 'tab\\there\\nand "quotes" and \\\\',
  'kůň 🐎', new Date(86400000), new Uint8Array([0, 255]), Buffer.from('hi'), [1, [2, [3]]], [undefined, 1], { a: 1, b: [undefined] }, Object.assign(Object.create(null), { bare: 1 }),
  JSON.parse('{"__proto__": 1}'), new Map([[1, 'x'], ['1', { y: new Set([1, '1']) }]]), new Set([null, 0]), { toString: 'plain' }]
export function map (line, emit) {
  const i = Number(line)
  emit([i % 3, i % 2 === 0 ? 'even' : 'odd', i % 5 === 0 ? null : i % 7 === 0], { i, v: values[i % values.length] })
  emit(i % 4 === 0 ? -0 : i % 4, values[i % values.length])
}
// a fingerprint of everything node:util can tell apart, in value order by i
import { inspect } from 'node:util'
const show = v => inspect(v, { depth: null, showHidden: true, sorted: true })
export function reduce (key, values) {
  return [...values].map(v => typeof v === 'object' && v !== null && 'i' in v && 'v' in v ? v.i + ':' + show(v.v) : show(v)).sort()
}
`)
  writeFileSync(join(dir, 'in.txt'), Array.from({ length: 300 }, (_, i) => String(i)).join('\n') + '\n')
  const local = await sh(`mrs --job ${job} -q < in.txt`, dir)
  const hadoop = await sh(`mrs map --job ${job} < in.txt | sort -t$'\\t' -k1,1 | mrs reduce --job ${job}`, dir)
  t.equal(hadoop.code, 0, hadoop.stderr)
  t.ok(local.stdout.length > 1000)
  t.strictSame(sortedLines(hadoop.stdout), sortedLines(local.stdout), 'same lines as a local run')
  const map = await sh(`mrs map --job ${job} < in.txt`, dir)
  t.match(map.stdout, /^\[1,"odd",false\]\t\{"i":1,"v":null\}$/m, 'JSON where JSON is exact')
  t.match(map.stdout, /^0\t=1AAA$/m, 'base64 msgpack (=...) where not: undefined')
  t.match(map.stdout, /^2\t"tab\\there\\nand \\"quotes\\" and \\\\"$/m, 'a string value is its JSON')
})

t.test('a chain runs step by step: step N+1 maps step N\'s pairs', async t => {
  const dir = t.testdir()
  const job = join(dir, 'chain.mjs')
  writeFileSync(job, `
const count = { map (l, emit) { for (const w of l.split(/\\s+/)) if (w) emit(w, 1) },
                reduce (w, ones) { let n = 0; for (const x of ones) n += x; return n } }
const byCount = { map ([word, n], emit) { emit(n, word) },
                  reduce (n, words) { return [...words].sort() } }
export const steps = [count, byCount]
`)
  writeFileSync(join(dir, 'in.txt'), 'a b c a\nb a d\n\td  e\n')
  const local = await sh(`mrs --job ${job} -q < in.txt`, dir)
  const hadoop = await sh(`mrs map --job ${job} < in.txt | ${SHUFFLE} | mrs reduce --job ${job} --step 1 | mrs map --job ${job} --step 2 | ${SHUFFLE} | mrs reduce --job ${job} --step 2`, dir)
  t.equal(hadoop.code, 0, hadoop.stderr)
  t.equal(local.stdout, '1\t["c","e"]\n2\t["b","d"]\n3\t["a"]\n')
  t.strictSame(sortedLines(hadoop.stdout), sortedLines(local.stdout))
  const bad = await sh(`mrs map --job ${job} --step 3 < in.txt`, dir)
  t.equal(bad.code, 2)
  t.match(bad.stderr, /--step 3: job .* has 2 step/)
})

t.test('a key\'s values stream to reduce, and its output streams out: a hot key in a 32 MB heap', async t => {
  const dir = t.testdir()
  const job = join(dir, 'hot.mjs')
  writeFileSync(job, 'export function map (l, emit) { emit("k", l.repeat(8)) }\nexport function reduce (k, vs) { let n = 0, s = 0; for (const v of vs) { n++; s += v.length } return [n, s] }\n')
  // the map's pairs, once for both reduces below (the same map)
  const pairs = await sh(`seq 1000000 | mrs map --job ${job} -q > pairs`, dir)
  t.equal(pairs.code, 0, pairs.stderr)
  const r = await sh(`mrs_32mb reduce --job ${job} < pairs`, dir)
  t.equal(r.code, 0, r.stderr)
  t.equal(r.stdout, 'k\t[1000000,47111168]\n', 'a million values (80 MB of strings), 8 x 5,888,896 digits')
  t.match(r.stderr, /^reporter:counter:mrstream,keys reduced,1$/m, 'counters as Hadoop reporter lines')
  const identity = join(dir, 'identity.mjs')
  writeFileSync(identity, 'export function map (l, emit) { emit("k", l.repeat(8)) }\nexport function reduce (k, vs, emit) { for (const v of vs) emit(k, v) }\n')
  const all = await sh(`mrs_32mb reduce --job ${identity} < pairs | md5sum; seq 1000000 | awk '{ printf "k\\t"; for (i = 0; i < 8; i++) printf "%s", $0; print "" }' | md5sum`, dir)
  t.equal(all.code, 0, all.stderr)
  const [got, want] = all.stdout.trim().split('\n')
  t.equal(got, want, 'a million lines out of one reduce call')
})
