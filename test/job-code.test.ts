// What a job's code does besides returning from its calls, as a user meets it: an emit from a
// callback it did not await, once its call returned, fails the job (never lands among another
// record's or key's pairs); what it prints goes to stderr, prefixed, never into the output;
// its process.exit is a failure that says so.
import t, { type Test } from 'tap'
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { shell as sh, spawnCli, type Result } from './helpers/cli.js'

/** mrstream in dir with a fresh --tmp-dir (checked empty after); one worker unless args say. */
async function mrs (t: Test, dir: string, args: string[], stdin?: string): Promise<Result> {
  const tmp = mkdtempSync(join(dir, 'tmp-'))
  const workers = args.includes('--workers') || ['map', 'combine', 'reduce'].includes(args[0]!) ? [] : ['--workers', '1']
  const r = await spawnCli([...args, ...workers, '--tmp-dir', tmp], dir, { stdin })
  t.same(readdirSync(tmp), [], `--tmp-dir is empty after: mrstream ${args.join(' ')}`)
  return r
}

const numbers = (n: number): string => Array.from({ length: n }, (_, i) => `${i + 1}\n`).join('')
const LATE = /emitted after its map, combine or reduce call returned/

t.test('an emit from a timer a map call left, while another record is being mapped, fails the job', async t => {
  const dir = t.testdir({ 'in.txt': numbers(500) })
  // record 100's timer fires while later records' maps wait on their own timers (400 of 1 ms at least)
  const map = 'async (l, emit) => { if (l === "100") setTimeout(() => emit("LATE", 1), 5); await new Promise(r => setTimeout(r, 1)); emit(l, 1) }'
  for (const input of ['in.txt', '-']) {
    for (const bad of [[], ['--max-bad-records', '10']]) {
      const r = await mrs(t, dir, ['-m', map, '-r', 'count', ...bad, input], input === '-' ? numbers(500) : undefined)
      const what = `${input} ${bad.join(' ')}`
      t.equal(r.code, 1, `${what}: exit 1`)
      t.match(r.stderr, LATE, `${what}: says a late emit failed the job`)
      t.equal(r.stdout, '', `${what}: no output`)
    }
  }
})

t.test('an emit another map call left, called from this one, fails the job (not a bad record)', async t => {
  const dir = t.testdir({ 'in.txt': numbers(20) })
  const map = '(l, emit) => { if (l === "3") globalThis.kept = emit; if (l === "7") globalThis.kept("LATE", 1); emit(l, 1) }'
  const r = await mrs(t, dir, ['-m', map, '-r', 'count', '--max-bad-records', '5', 'in.txt'])
  t.equal(r.code, 1)
  t.match(r.stderr, LATE)
  t.equal(r.stdout, '')
})

t.test('an emit from a timer an async reduce left, while another key is reduced, fails the job', async t => {
  const dir = t.testdir({ 'in.txt': numbers(300) })
  const reduce = 'async (k, vs, emit) => { if (k === "100") setTimeout(() => emit("LATE", 1), 5); await new Promise(r => setTimeout(r, 1)); let n = 0; for (const _ of vs) n++; return n }'
  for (const bad of [[], ['--max-bad-records', '10']]) {
    const r = await mrs(t, dir, ['-m', '(l, emit) => emit(l, 1)', '-r', reduce, ...bad, 'in.txt'])
    t.equal(r.code, 1, `exit 1 ${bad.join(' ')}`)
    t.match(r.stderr, LATE)
    t.equal(r.stdout, '')
  }
})

t.test('an emit a combine left (a timer, or kept for another call) fails the job, rather than vanish', async t => {
  const dir = t.testdir({ 'in.txt': Array.from({ length: 3000 }, (_, i) => `k${i % 7} x\n`).join('') })
  const timer = `export function map (l, emit) { emit(l.split(' ')[0], 1) }
export function reduce (k, vs) { let n = 0; for (const v of vs) n += v; return n }
export function combine (k, vs, emit) { setTimeout(() => emit(k, 1000), 0); let n = 0; for (const v of vs) n += v; return n }
`
  const kept = `export function map (l, emit) { emit(l.split(' ')[0], 1) }
export function reduce (k, vs) { let n = 0; for (const v of vs) n += v; return n }
let first
export function combine (k, vs, emit) { if (first === undefined) first = emit; else first(k, 1000); let n = 0; for (const v of vs) n += v; return n }
`
  writeFileSync(join(dir, 'timer.mjs'), timer)
  writeFileSync(join(dir, 'kept.mjs'), kept)
  for (const job of ['timer.mjs', 'kept.mjs']) {
    for (const memory of ['64MB', '64KB']) {
      const r = await mrs(t, dir, ['--job', job, '--memory', memory, 'in.txt'])
      t.equal(r.code, 1, `${job} --memory ${memory}: exit 1`)
      t.match(r.stderr, LATE, `${job} --memory ${memory}`)
      t.equal(r.stdout, '')
    }
  }
})

t.test('streaming map and reduce: a late emit fails the phase', async t => {
  const dir = t.testdir({ 'in.txt': numbers(300) })
  writeFileSync(join(dir, 'map.mjs'), `export async function map (l, emit) { if (l === '100') setTimeout(() => emit('LATE', 1), 5); await new Promise(r => setTimeout(r, 1)); emit(l, 1) }
export function reduce (k, vs) { let n = 0; for (const _ of vs) n++; return n }
`)
  writeFileSync(join(dir, 'reduce.mjs'), `export function map (l, emit) { emit(l, 1) }
export async function reduce (k, vs, emit) { if (k === '100') setTimeout(() => emit('LATE', 1), 5); await new Promise(r => setTimeout(r, 1)); let n = 0; for (const _ of vs) n++; return n }
`)
  const map = await sh('mrs map --job map.mjs < in.txt > /dev/null', dir)
  t.equal(map.code, 1, 'map: exit 1')
  t.match(map.stderr, LATE)
  const reduce = await sh('mrs map --job reduce.mjs < in.txt | sort -t$\'\\t\' -k1,1 | mrs reduce --job reduce.mjs > /dev/null', dir)
  t.equal(reduce.code, 1, 'reduce: exit 1')
  t.match(reduce.stderr, LATE)
})

t.test('what a job prints goes to stderr, prefixed, never into the output', async t => {
  const dir = t.testdir({ 'in.txt': numbers(50) })
  writeFileSync(join(dir, 'talk.mjs'), `console.log('loaded')
export function map (l, emit) { console.log('map', l); console.info('info', l); process.stdout.write('raw ' + l + '\\n'); console.error('err', l); emit(l, 1) }
export function reduce (k, vs) { console.log('reduce', k); let n = 0; for (const _ of vs) n++; return n }
`)
  const want = numbers(50).split('\n').filter(l => l !== '').sort().map(l => `${l}\t1\n`).join('')
  for (const workers of ['1', '2']) {
    const r = await mrs(t, dir, ['--job', 'talk.mjs', '-q', '--workers', workers, 'in.txt'])
    t.equal(r.code, 0, r.stderr)
    t.equal(r.stdout, want, `--workers ${workers}: the output alone on stdout`)
    const said = r.stderr.split('\n').filter(l => l !== '')
    t.ok(said.every(l => l.startsWith('mrstream: job: ')), 'every line the job printed is prefixed')
    for (const l of ['map 7', 'info 7', 'raw 7', 'err 7', 'reduce 7', 'loaded']) t.ok(said.includes(`mrstream: job: ${l}`), `stderr has ${l}`)
  }
  const streaming = await sh('mrs map --job talk.mjs -q < in.txt | sort -t$\'\\t\' -k1,1 | mrs reduce --job talk.mjs -q', dir)
  t.equal(streaming.code, 0, streaming.stderr)
  t.equal(streaming.stdout, want, 'streaming map | reduce: the protocol and the output unbroken')
  t.match(streaming.stderr, /^mrstream: job: map 7$/m)
  t.match(streaming.stderr, /^mrstream: job: reduce 7$/m)
})

t.test('a job\'s process.exit is a failure that names it, never an exit 0 without output', async t => {
  const dir = t.testdir({ 'in.txt': numbers(100) })
  const reduce = 'export function reduce (k, vs) { let n = 0; for (const _ of vs) n++; return n }\n'
  writeFileSync(join(dir, 'top.mjs'), `export function map (l, emit) { emit(l, 1) }\n${reduce}process.exit(0)\n`)
  writeFileSync(join(dir, 'caught.mjs'), `export function map (l, emit) { emit(l, 1) }\n${reduce}try { process.exit(0) } catch {}\n`)
  writeFileSync(join(dir, 'timer.mjs'), `export function map (l, emit) { emit(l, 1) }\n${reduce}setTimeout(() => process.exit(0), 0)\nawait new Promise(r => setTimeout(r, 50))\n`)
  writeFileSync(join(dir, 'in-map.mjs'), `export function map (l, emit) { if (l === '50') process.exit(0); emit(l, 1) }\n${reduce}`)
  for (const [job, code, says] of [
    ['top.mjs', 2, /cannot load job \S*top\.mjs: the job called process\.exit\(0\)/],
    ['caught.mjs', 2, /cannot load job \S*caught\.mjs: the job called process\.exit\(0\)/],
    ['timer.mjs', 1, /the job called process\.exit\(0\)/],
    ['in-map.mjs', 1, /failed 3 times; last cause: the job called process\.exit\(0\)/],
  ] as const) {
    const r = await mrs(t, dir, ['--job', job, 'in.txt'])
    t.equal(r.code, code, `${job}: exit ${code}`)
    t.match(r.stderr, says, `${job}: says so`)
    t.equal(r.stdout, '', `${job}: no output`)
  }
  for (const phase of ['map', 'reduce']) {
    const r = await sh(`mrs map --job in-map.mjs < in.txt ${phase === 'reduce' ? '| sort | mrs reduce --job top.mjs' : ''} > /dev/null`, dir)
    t.not(r.code, 0, `streaming ${phase}: fails`)
    t.match(r.stderr, /the job called process\.exit\(0\)/, `streaming ${phase}: says so`)
  }
})
