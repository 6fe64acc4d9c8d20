// What a job's code does besides returning from its calls, as a user meets it: an emit from a
// callback it did not await, once its call returned, fails the job (never lands among another
// record's or key's pairs).
import t, { type Test } from 'tap'
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { spawn } from './helpers/children.js'
import { bin, spawnCli, type Result } from './helpers/cli.js'

/** mrstream in dir with a fresh --tmp-dir (checked empty after); one worker unless args say. */
async function mrs (t: Test, dir: string, args: string[], stdin?: string): Promise<Result> {
  const tmp = mkdtempSync(join(dir, 'tmp-'))
  const workers = args.includes('--workers') || ['map', 'combine', 'reduce'].includes(args[0]!) ? [] : ['--workers', '1']
  const r = await spawnCli([...args, ...workers, '--tmp-dir', tmp], dir, { stdin })
  t.same(readdirSync(tmp), [], `--tmp-dir is empty after: mrstream ${args.join(' ')}`)
  return r
}

/** A bash pipeline in dir, `mrs` being the built binary. */
function sh (script: string, cwd: string): Promise<{ code: number | null, stdout: string, stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', `set -o pipefail\nmrs () { env -u NODE_OPTIONS "${process.execPath}" "${bin}" "$@"; }\n${script}`], { cwd, env: { ...process.env, LC_ALL: 'C' } })
    const out: Buffer[] = []
    const err: Buffer[] = []
    child.stdout.on('data', (b: Buffer) => out.push(b))
    child.stderr.on('data', (b: Buffer) => err.push(b))
    child.on('error', reject)
    child.on('close', code => resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }))
  })
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
