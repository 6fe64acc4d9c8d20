// Value order by a secondary key (a job's groupBy): reduce once per group of keys sharing their
// first n elements, the group's values in full-key order, streamed; groups stay whole across
// reduce tasks (key ranges) and part files (-o DIR --reducers N). The oracle (test/oracle.ts)
// states the order; the property tests run the family's groupBy jobs against it.
import t, { type Test } from 'tap'
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { spawnCli, type Result } from './helpers/cli.js'
import { loadJob, oracle, readInputs, runJobPairs, recordsOf, compareKeys, type Key } from './oracle.js'

t.setTimeout(600_000)

async function mrs (t: Test, dir: string, args: string[], stdin?: string): Promise<Result> {
  const tmp = mkdtempSync(join(dir, 'tmp-'))
  const r = await spawnCli([...args, '--tmp-dir', tmp], dir, { stdin })
  t.same(readdirSync(tmp), [], `--tmp-dir is empty after: mrstream ${args.join(' ')}`)
  return r
}

// events: user, time (unique per user; numbers whose text order is not their order), page
function events (n: number, users: number): string {
  return Array.from({ length: n }, (_, i) => `u${(i * 7) % users} ${((i * 7919) % 100003) / 4 - 500} /p${i % 17}`).join('\n') + '\n'
}

const sessions = `export const groupBy = 1
export function map (line, emit) {
  const [user, time, page] = line.split(' ')
  emit([user, Number(time)], [Number(time), page])
}
// a session ends after 1000 units without an event
export function reduce (user, visits, emit) {
  let start, last, pages = 0
  for (const [time] of visits) {
    if (last !== undefined && time - last > 1000) { emit(user, [start, last, pages]); start = undefined; pages = 0 }
    start ??= time
    last = time
    pages++
  }
  emit(user, [start, last, pages])
}
`

t.test('one reduce call a group, values in time order: equals the oracle under small budgets, many key ranges and part files', async t => {
  const dir = t.testdir({ 'sessions.mjs': sessions, 'ev.txt': events(30_000, 40) })
  const want = await oracle(await loadJob(join(dir, 'sessions.mjs')), readInputs([join(dir, 'ev.txt')]))
  t.ok(want.toString().split('\n').length > 40, 'more sessions than users')
  for (const [memory, workers] of [['64KB', 3], ['256MB', 2], ['1MB', 1]] as const) {
    const r = await mrs(t, dir, ['--job', 'sessions.mjs', '--memory', memory, '--workers', String(workers), '-q', 'ev.txt'])
    t.equal(r.code, 0, r.stderr)
    t.equal(r.stdout, want.toString(), `--memory ${memory} --workers ${workers}`)
  }
  const r = await mrs(t, dir, ['--job', 'sessions.mjs', '--memory', '64KB', '--workers', '3', '-q', '-o', 'out', '--reducers', '4', 'ev.txt'])
  t.equal(r.code, 0, r.stderr)
  const parts = readdirSync(join(dir, 'out')).filter(f => f.startsWith('part-')).map(f => readFileSync(join(dir, 'out', f), 'utf8'))
  t.equal(parts.length, 4)
  const partOf = new Map<string, number>()
  for (const [p, text] of parts.entries()) {
    for (const line of text.split('\n').filter(Boolean)) {
      const user = line.split('\t')[0]!
      if ((partOf.get(user) ?? p) !== p) t.fail(`group ${user} in parts ${partOf.get(user)} and ${p}`)
      partOf.set(user, p)
    }
  }
  t.equal(partOf.size, 40, 'every group in one part file')
  t.strictSame(parts.join('').split('\n').filter(Boolean).sort(), want.toString().split('\n').filter(Boolean).sort(), 'the parts hold the oracle\'s lines')
})

t.test('a group\'s output keyed by its members stays in the group\'s part; keys of two elements group by both', async t => {
  const dir = t.testdir({
    'ev.txt': events(5000, 7),
    'members.mjs': `export const groupBy = 2
export function map (line, emit) {
  const [user, time, page] = line.split(' ')
  emit([page, user.length, Number(time)], user)
}
export function reduce ([page, len], users, emit) {
  let n = 0
  for (const u of users) { if (n++ < 3) emit([page, len, n], u) }
  return n
}
`,
  })
  const job = await loadJob(join(dir, 'members.mjs'))
  const pairs = await runJobPairs(job, recordsOf(readInputs([join(dir, 'ev.txt')])))
  const r = await mrs(t, dir, ['--job', 'members.mjs', '--memory', '64KB', '--workers', '2', '-q', '--output-format', 'ndjson', '-o', 'out', '--reducers', '3', 'ev.txt'])
  t.equal(r.code, 0, r.stderr)
  const parts = readdirSync(join(dir, 'out')).filter(f => f.startsWith('part-')).map(f => readFileSync(join(dir, 'out', f), 'utf8').split('\n').filter(Boolean).map(l => JSON.parse(l) as [Key, unknown]))
  const partOf = new Map<string, number>()
  for (const [p, lines] of parts.entries()) {
    for (const [key] of lines) {
      const group = JSON.stringify((key as Key[]).slice(0, 2))
      if ((partOf.get(group) ?? p) !== p) t.fail(`group ${group} in parts ${partOf.get(group)} and ${p}`)
      partOf.set(group, p)
    }
    const groups = lines.map(([key]) => (key as Key[]).slice(0, 2))
    t.ok(groups.every((g, i) => i === 0 || compareKeys(groups[i - 1]!, g) <= 0), `part ${p} in group order`)
  }
  t.equal(partOf.size, new Set(pairs.map(([k]) => JSON.stringify((k as Key[]).slice(0, 2)))).size, 'every group in one part')
  const got = parts.flat().map(p => JSON.stringify(p)).sort()
  t.strictSame(got, pairs.map(p => JSON.stringify(p)).sort(), 'the oracle\'s pairs')
})

t.test('a million values in one group stream through reduce in a 40 MB worker heap', async t => {
  const dir = t.testdir({
    'hot.mjs': `export const groupBy = 1
export function map (l, emit) { emit(['k', -Number(l)], l.repeat(8)) }
export function reduce (k, vs) {
  let n = 0, chars = 0, last = Infinity, ordered = true
  for (const v of vs) { n++; chars += v.length; const x = Number(v.slice(0, v.length / 8)); if (x > last) ordered = false; last = x }
  return [n, chars, ordered]
}
`,
  })
  const input = Array.from({ length: 1_000_000 }, (_, i) => String(i + 1)).join('\n') + '\n'
  const r = await mrs(t, dir, ['--job', 'hot.mjs', '--memory', '8MB', '--worker-heap-mb', '40', '--workers', '2', '-q'], input)
  t.equal(r.code, 0, r.stderr)
  t.equal(r.stdout, 'k\t[1000000,47111168,true]\n', '80 MB of values, in descending line order (the key\'s -line)')
})

t.test('a job\'s groupBy and its keys are checked', async t => {
  const dir = t.testdir({
    'zero.mjs': 'export const groupBy = 0\nexport function map () {}\nexport function reduce () {}\n',
    'text.mjs': 'export const groupBy = "1"\nexport function map () {}\nexport function reduce () {}\n',
    'flat.mjs': 'export const groupBy = 2\nexport function map (l, emit) { emit(l.length > 1 ? [l] : [l, 1, 2], 1) }\nexport function reduce () { return 1 }\n',
    'in.txt': 'a\nbb\n',
  })
  for (const job of ['zero.mjs', 'text.mjs']) {
    const r = await mrs(t, dir, ['--job', job, 'in.txt'])
    t.equal(r.code, 2)
    t.match(r.stderr, /`groupBy` must be a whole number >= 1/)
  }
  const flat = await mrs(t, dir, ['--job', 'flat.mjs', '--workers', '1', 'in.txt'])
  t.equal(flat.code, 2)
  t.match(flat.stderr, /map at in\.txt:2: with groupBy = 2, a key must be an array of at least 2 elements .*; got \["bb"\]/)
})

t.test('the oracle groups as stated', async t => {
  const job = {
    groupBy: 1,
    map: (r: unknown, emit: (k: unknown, v: unknown) => void) => { const [a, b] = (r as string).split(' '); emit([a, Number(b)], b) },
    reduce: (_k: unknown, vs: Iterable<unknown>) => [...vs].join(','),
  }
  const pairs = await runJobPairs(job, recordsOf([{ name: 'x', bytes: Buffer.from('b 10\na 9\nb -1\na 10\nb 10\nb 9.5\n') }]))
  t.strictSame(pairs, [['a', '9,10'], ['b', '-1,9.5,10,10']])
})
