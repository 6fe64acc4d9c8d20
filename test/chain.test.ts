// Multi-step jobs (`export const steps = [a, b]`): step N+1's map gets step N's [key, value]
// pairs, losslessly, and the result does not depend on --memory or --workers.
import t from 'tap'
import { spawnSync } from 'node:child_process'
import { readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { sample } from './helpers/depth.js'

const bin = fileURLToPath(new URL('../dist/bin/mrstream.js', import.meta.url))
const corpus = fileURLToPath(new URL('./fixtures/gutenberg/', import.meta.url))
// (the quick depth: three of the eight books)
const files = sample(readdirSync(corpus).filter(f => f.endsWith('.txt')).sort(), 3).map(f => join(corpus, f))
const mrstream = (args: string[]): ReturnType<typeof spawnSync> => spawnSync('env', ['-u', 'NODE_OPTIONS', process.execPath, bin, ...args], { maxBuffer: 1 << 28 })

t.test('a histogram of word frequencies in two steps equals sort | uniq -c twice', async t => {
  const dir = t.testdir()
  const job = join(dir, 'chain.mjs')
  writeFileSync(job, `
const count = {
  map (line, emit) { for (const w of line.split(/\\s+/)) if (w) emit(w, 1) },
  reduce (w, ones) { let n = 0; for (const x of ones) n += x; return n },
}
count.combine = count.reduce
const byCount = {
  map ([word, n], emit) { emit(n, word) },
  reduce (n, words) { let k = 0; for (const _ of words) k++; return k },
}
export const steps = [count, byCount]
`)
  const want = spawnSync('sh', ['-c', `cat ${files.map(f => `'${f}'`).join(' ')} | tr -s ' \\t\\r\\n\\f\\v' '\\n' | grep -v '^$' | LC_ALL=C sort | uniq -c | awk '{print $1}' | sort -n | uniq -c | awk '{print $2"\\t"$1}'`]).stdout.toString()
  // what a chain reports, from the same runs: its first step's input, its last step's output
  // (the summary), each step's counters (--verbose)
  const wordsIn = spawnSync('sh', ['-c', `cat ${files.map(f => `'${f}'`).join(' ')} | wc -l`]).stdout.toString().trim()
  const linesOut = want.split('\n').length - 1
  const reports: string[] = []
  for (const args of [['--memory', '256MB', '--workers', '1'], ['--memory', '64KB', '--workers', '2', '-v']]) {
    const r = mrstream(['--job', job, '--tmp-dir', dir, ...args, ...files])
    t.equal(r.status, 0, String(r.stderr))
    t.equal(String(r.stdout), want, args.join(' '))
    reports.push(String(r.stderr))
  }
  t.match(reports[0]!, new RegExp(`^mrstream: done in .*, ${Number(wordsIn) < 1000 ? wordsIn : '[0-9.]+K'} records in, ${linesOut} out, ${linesOut} keys, .*2 steps\n$`), 'the summary names the chain\'s input and its output')
  const written = /^ {2}records written +(\d+) +(\d+)$/m.exec(reports[1]!)
  t.ok(written, '--verbose: a column a step')
  t.equal(Number(written?.[2]), linesOut, 'step 2 wrote the output lines')
})

t.test('values cross steps unchanged', async t => {
  const dir = t.testdir()
  const job = join(dir, 'values.mjs')
  writeFileSync(job, `
const make = () => ({ m: new Map([[1, -0]]), b: 2n ** 70n, u: undefined, d: new Date(5), s: new Set(['x']), p: JSON.parse('{"__proto__": 1}') })
const first = { map (line, emit) { emit([line, 1], make()) }, reduce (k, vs) { for (const v of vs) return v } }
const second = {
  map ([key, v], emit) {
    const ok = v.m instanceof Map && Object.is(v.m.get(1), -0) && v.b === 2n ** 70n && 'u' in v && v.u === undefined &&
      v.d instanceof Date && v.d.getTime() === 5 && v.s.has('x') && Object.hasOwn(v.p, '__proto__') && Array.isArray(key)
    emit(key[0], ok)
  },
  reduce (k, vs) { for (const v of vs) return v },
}
export const steps = [first, second]
`)
  const r = mrstream(['--job', job, '-q', '--tmp-dir', dir, '--memory', '64KB', '-'])
  t.equal(r.status, 0, String(r.stderr))
  const r2 = spawnSync('env', ['-u', 'NODE_OPTIONS', process.execPath, bin, '--job', job, '-q', '--tmp-dir', dir], { input: 'a\nb\n' })
  t.equal(String(r2.stdout), 'a\ttrue\nb\ttrue\n')
})

t.test('pairs between steps are data: no --max-line-bytes on them, and a -0 key is 0 as in one step', async t => {
  const dir = t.testdir()
  const job = join(dir, 'big.mjs')
  writeFileSync(job, `
const first = { map (line, emit) { emit(line, line.repeat(500)); emit(-0, line); emit([-0, 'a'], line) },
                reduce (k, vs) { let s = ''; for (const v of vs) s += v; return s } }
const second = { map ([k, v], emit) { emit(typeof k === 'string' ? k : JSON.stringify(k), String(v.length) + (Object.is(k, -0) || Object.is(k?.[0], -0) ? ' -0' : '')) },
                 reduce (k, vs) { return [...vs].join(',') } }
export const steps = [first, second]
`)
  const r = spawnSync('env', ['-u', 'NODE_OPTIONS', process.execPath, bin, '--job', job, '-q', '--tmp-dir', dir, '--max-line-bytes', '1KB'], { input: 'abcd\nxy\n' })
  t.equal(r.status, 0, String(r.stderr))
  t.equal(String(r.stdout), '0\t6\n[0,"a"]\t6\nabcd\t2000\nxy\t1000\n', 'a 2000-char value crossed under a 1 KB line limit; -0 arrived as 0')
  const long = spawnSync('env', ['-u', 'NODE_OPTIONS', process.execPath, bin, '--job', job, '-q', '--tmp-dir', dir, '--max-line-bytes', '1KB'], { input: 'x'.repeat(2000) + '\n' })
  t.equal(long.status, 1, 'the user\'s input still has the limit')
  t.match(String(long.stderr), /-:1: line longer than --max-line-bytes 1024/)
})

t.test('an error in a later step names the step, and the step before\'s output, not a temp file', async t => {
  const dir = t.testdir()
  const job = join(dir, 'fails.mjs')
  writeFileSync(job, `
const first = { map (line, emit) { emit(line, 1) }, reduce (k, vs) { let n = 0; for (const v of vs) n += v; return n } }
const second = { map ([k, n], emit) { if (k === 'b') throw new Error('no b'); emit(n, k) }, reduce (n, ks) { return [...ks] } }
export const steps = [first, second]
`)
  const r = spawnSync('env', ['-u', 'NODE_OPTIONS', process.execPath, bin, '--job', job, '-q', '--tmp-dir', dir], { input: 'a\nb\nc\n' })
  t.equal(r.status, 1)
  t.match(String(r.stderr), /^mrstream: step 2: map failed at step 1's output:2: Error: no b/m)
  t.notMatch(String(r.stderr), /\.pairs/, 'no temp file named')
})

t.test('a later step\'s ctx.file is the step before\'s output, the same whatever --tmp-dir', async t => {
  const dir = t.testdir({ a: {}, b: {} })
  const job = join(dir, 'where.mjs')
  writeFileSync(job, `
const first = { map (line, emit) { emit(line, 1) }, reduce (k, vs) { let n = 0; for (const v of vs) n += v; return n } }
const second = { map ([k, n], emit, ctx) { emit(k, ctx.file + ':' + ctx.line) }, reduce (k, vs) { return [...vs].join(',') } }
export const steps = [first, second]
`)
  const outs = ['a', 'b'].map(tmp => spawnSync('env', ['-u', 'NODE_OPTIONS', process.execPath, bin, '--job', job, '-q', '--tmp-dir', join(dir, tmp)], { input: 'x\ny\nx\n' }))
  for (const r of outs) t.equal(r.status, 0, String(r.stderr))
  t.equal(String(outs[0]!.stdout), "x\tstep 1's output:1\ny\tstep 1's output:2\n")
  t.equal(String(outs[1]!.stdout), String(outs[0]!.stdout), 'the same output with another --tmp-dir')
})
