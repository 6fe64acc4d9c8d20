// sort-buffer.ts: whatever the mix of keys, the runs a SortBuffer writes merge back to every pair,
// grouped by key in code point order with values in emit order (or combined), also when it
// switches between indexing its keys and appending pairs (all-distinct stretches of keys).
import t, { type Test } from 'tap'
import fc from 'fast-check'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SortBuffer } from '../../dist/lib/map/sort-buffer.js'
import { Merger } from '../../dist/lib/runs/merge.js'
import { indexKey, readFooter } from '../../dist/lib/runs/run-format.js'
import { RunReader } from '../../dist/lib/runs/run-reader.js'
import { RunWriter } from '../../dist/lib/runs/run-writer.js'
import { decodeKey, encodeKey } from '../../dist/lib/codec/keys.js'
import { depth } from '../helpers/depth.js'
import { deepSame } from '../helpers/same.js'

const dir = mkdtempSync(join(tmpdir(), 'mrstream-test-collect-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))
let n = 0

const sum = (_k: unknown, values: Iterable<unknown>) => { let s = 0; for (const v of values) s += v as number; return s }

/** Stretches of pairs: all-distinct keys, a few hot keys, or non-string keys. */
const stretch = fc.oneof(
  fc.record({ kind: fc.constant('distinct' as const), n: fc.integer({ min: 0, max: 4000 }) }),
  fc.record({ kind: fc.constant('hot' as const), n: fc.integer({ min: 0, max: 4000 }), keys: fc.integer({ min: 1, max: 30 }) }),
  fc.record({ kind: fc.constant('numbers' as const), n: fc.integer({ min: 0, max: 300 }), keys: fc.integer({ min: 1, max: 50 }) }),
  // long shared starts with NULs in them: the spill sort's tie groups and escaped keys
  fc.record({ kind: fc.constant('prefixed' as const), n: fc.integer({ min: 0, max: 3000 }), keys: fc.integer({ min: 1, max: 3000 }) })
)

function pairsOf (stretches: Array<{ kind: string, n: number, keys?: number }>, seed: number): Array<[unknown, number]> {
  const out: Array<[unknown, number]> = []
  let s = seed >>> 0
  const rnd = () => { s = (Math.imul(s, 1103515245) + 12345) >>> 0; return s }
  for (const st of stretches) {
    for (let i = 0; i < st.n; i++) {
      const v = rnd() % 100
      if (st.kind === 'distinct') out.push([`d${rnd().toString(36)}-${out.length}${out.length % 7 === 0 ? '\u00e9\u{1f600}' : ''}`, v])
      else if (st.kind === 'hot') out.push([`h${rnd() % st.keys!}`, v])
      else if (st.kind === 'prefixed') out.push([`p${'x\0'.repeat(20)}${rnd() % st.keys!}`, v])
      else out.push([rnd() % st.keys!, v])
    }
  }
  return out
}

function oracle (pairs: Array<[unknown, number]>, combine: boolean): Array<[unknown, unknown[]]> {
  const groups = new Map<string, [unknown, unknown[]]>()
  for (const [k, v] of pairs) {
    const e = encodeKey(k)
    const g = groups.get(e)
    if (g === undefined) groups.set(e, [k, [v]])
    else g[1].push(v)
  }
  // (an encoded key is one byte a char: its string order is its byte order)
  const sorted = [...groups.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
  return sorted.map(([, [k, vs]]) => [k, combine ? [sum(k, vs)] : vs])
}

/** Every group of the runs merged (each key's values combined by sum, if `combine`); the runs are removed. */
function mergedRuns (runs: string[], combine: boolean): Array<[unknown, unknown[]]> {
  const got: Array<[unknown, unknown[]]> = []
  const m = new Merger(runs)
  try {
    while (m.next()) {
      const values = [...m.values()]
      got.push([decodeKey(m.key), combine ? [sum(null, values)] : values])
    }
  } finally { m.close() }
  for (const r of runs) rmSync(r)
  return got
}

const CASES = depth(40, 100)

t.test('runs merge back to the oracle, across index/append switches and tasks', async t => {
  let appended = 0
  let switched = 0
  // budgets from a few values, so that one case's sort buffer often reuses the last one's key
  // arena and index, as a worker's consecutive tasks do; large ones hold enough pairs for a
  // buffer to turn from indexing to appending before it spills
  const budgetArb = fc.oneof(fc.integer({ min: 20_000, max: 400_000 }), fc.constantFrom(50_000, 200_000, 1_000_000))
  const stretchesArb = fc.array(stretch, { minLength: 1, maxLength: 8 })
  fc.assert(fc.property(stretchesArb, fc.integer(), budgetArb, fc.boolean(), fc.boolean(), (stretches, seed, budget, combine, append) => {
    const pairs = pairsOf(stretches, seed)
    const counters = { spills: 0, spilledBytes: 0, spilledPairs: 0 }
    const c = new SortBuffer({ budget, combine: combine ? sum : undefined, ctx: { file: '', line: 0, count: () => {} }, nextRunPath: () => join(dir, `run-${n++}`), counters, append })
    let appending = false
    const mode = () => (c as unknown as { appending: boolean }).appending
    for (const [k, v] of pairs) {
      const before = mode()
      const spills = counters.spills
      c.add(k, v)
      if (!before && mode() && counters.spills === spills) switched++
      appending ||= mode()
    }
    if (appending) appended++
    const got = mergedRuns(c.finish().map(r => r.path), combine)
    deepSame(t, got, oracle(pairs, combine))
    return true
  }), { numRuns: CASES })
  // the cases must reach the appending mode (a change that never appended would pass otherwise),
  // also in the middle of a buffer, after keys were indexed
  t.ok(appended >= CASES / 10, `${appended} of ${CASES} cases appended`)
  t.comment(`${switched} buffers turned to appending before they spilled`)
})

t.test('a buffer indexes keys that will repeat before it fills, though its first pairs repeat few', async t => {
  // keys drawn at random from u of them: from 100k keys, the first 4096 pairs repeat ~80 keys,
  // and a buffer of 20 MB holds each key several times over; from 10^9, it never repeats one
  for (const [u, appends] of [[100_000, false], [1e9, true]] as const) {
    for (const combine of [false, true]) {
      const counters = { spills: 0, spilledBytes: 0, spilledPairs: 0 }
      const c = new SortBuffer({ budget: 20 << 20, combine: combine ? sum : undefined, ctx: { file: '', line: 0, count: () => {} }, nextRunPath: () => join(dir, `run-${n++}`), counters })
      let x = 12345
      for (let i = 0; i < 300_000; i++) {
        x = (Math.imul(x, 1103515245) + 12345) >>> 0
        c.add(`k${Math.floor((x / 2 ** 32) * u)}`, 1)
      }
      t.equal(counters.spills, 0, 'before its spill')
      t.equal((c as unknown as { appending: boolean }).appending, appends, `keys from ${u}: ${appends ? 'appended' : 'indexed'}${combine ? ', with a combiner' : ''}`)
      for (const r of c.finish()) rmSync(r.path)
    }
  }
})

t.test('a buffer that turns to appending keeps the values of the keys it indexed, in emit order', async t => {
  for (const combine of [false, true]) {
    const counters = { spills: 0, spilledBytes: 0, spilledPairs: 0 }
    // (a budget of 4 MB: its keys, drawn as if at random, would repeat too little to index)
    const c = new SortBuffer({ budget: 4 << 20, combine: combine ? sum : undefined, ctx: { file: '', line: 0, count: () => {} }, nextRunPath: () => join(dir, `run-${n++}`), counters })
    // ('rep': one value again and again, held as a count, then appended once more)
    const pairs: Array<[string, number]> = [['hot', 1], ['hot', 2], ['one', 3], ['rep', 5], ['rep', 5], ['rep', 5]]
    for (let i = 0; i < 6000; i++) pairs.push([`k${i}`, i])
    pairs.push(['hot', 4], ['one', 5], ['k7', 6], ['hot', 7], ['rep', 5])
    for (let i = 6000; i < 7000; i++) pairs.push([`k${i}`, i])
    for (const [k, v] of pairs) c.add(k, v)
    t.ok((c as unknown as { appending: boolean }).appending, 'the buffer appends')
    t.equal(counters.spills, 0, 'before its spill')
    const runs = c.finish().map(r => r.path)
    const got: Array<[unknown, unknown[]]> = []
    const m = new Merger(runs)
    try { while (m.next()) got.push([decodeKey(m.key), [...m.values()]]) } finally { m.close() }
    for (const r of runs) rmSync(r)
    const want = oracle(pairs, combine)
    deepSame(t, got, want, combine ? 'combined' : 'values in emit order')
    t.same(got.find(g => g[0] === 'hot')![1], combine ? [14] : [1, 2, 4, 7])
    t.same(got.find(g => g[0] === 'rep')![1], combine ? [20] : [5, 5, 5, 5])
  }
})

// A buffer that appends gives its index's slots back; a later buffer that indexes again grows
// a new index from its smallest size, and keys its last buffers held (indexed, then appended)
// come back whole.
t.test('index, append, then index again: every key comes back', async t => {
  for (const combine of [false, true]) {
    const counters = { spills: 0, spilledBytes: 0, spilledPairs: 0 }
    const c = new SortBuffer({ budget: 1_000_000, combine: combine ? sum : undefined, ctx: { file: '', line: 0, count: () => {} }, nextRunPath: () => join(dir, `run-${n++}`), counters })
    const mode = () => (c as unknown as { appending: boolean }).appending
    const pairs: Array<[string, number]> = []
    const modes: boolean[] = []
    const add = (k: string, v: number) => {
      pairs.push([k, v])
      c.add(k, v)
      if (modes[modes.length - 1] !== mode()) modes.push(mode())
    }
    for (let i = 0; i < 30_000; i++) add(`k${(i * 7919) % 30_000}`, i % 13) // distinct: turns to appending
    for (let i = 0; i < 60_000; i++) add(`h${i % 2000}`, i % 11) // 30 a key: indexes again
    for (let i = 0; i < 3000; i++) add(`k${i}`, 1)
    t.same(modes.slice(0, 3), [false, true, false], 'indexed, appended, indexed again')
    const got = mergedRuns(c.finish().map(r => r.path), combine)
    deepSame(t, got, oracle(pairs, combine), combine ? 'combined' : 'values in emit order')
  }
})

// Appended keys' numbers are combined at the spill by one call a key (spill.ts's
// combineNumbers): whatever the combine gives back (one number, values it emits too, another
// kind of value), a spill's group is what that one call made of the key's values in emit order.
t.test('appended numbers combined at the spill: one call a key, any result', async t => {
  const total = (vs: Iterable<unknown>) => { let s = 0; for (const v of vs) s += v as number; return s }
  const combines: Record<string, (k: unknown, vs: Iterable<unknown>, emit: (k: unknown, v: unknown) => void) => unknown> = {
    sum: (_k, vs) => total(vs),
    // the values in the order they came, as one string
    order: (_k, vs) => [...vs].join(','),
    // the first value emitted, the sum of the others returned: two values
    emits: (k, vs, emit) => { const a = [...vs] as number[]; emit(k, a[0]); return total(a.slice(1)) },
    // a float, and an object (packed)
    other: (_k, vs) => { const s = total(vs); return s % 3 === 0 ? { s } : s / 8 },
  }
  const pairsArb = fc.array(fc.tuple(fc.integer({ min: 0, max: 300 }), fc.integer({ min: -5, max: 1000 })), { minLength: 1, maxLength: 3000 })
  fc.assert(fc.property(pairsArb, fc.constantFrom(...Object.keys(combines)), (raw, which) => {
    const combine = combines[which]!
    const counters = { spills: 0, spilledBytes: 0, spilledPairs: 0 }
    const c = new SortBuffer({ budget: 16 << 20, combine, ctx: { file: '', line: 0, count: () => {} }, nextRunPath: () => join(dir, `run-${n++}`), counters, append: true })
    const groups = new Map<string, number[]>()
    for (const [k, v] of raw) {
      c.add(`k${k}`, v)
      groups.set(`k${k}`, [...(groups.get(`k${k}`) ?? []), v])
    }
    const runs = c.finish().map(r => r.path)
    t.equal(counters.spills, 1)
    const got = mergedRuns(runs, false)
    const want = [...groups.entries()].sort((a, b) => Buffer.compare(Buffer.from(a[0]), Buffer.from(b[0]))).map(([k, vs]) => {
      if (vs.length === 1) return [k, vs]
      const emitted: unknown[] = []
      const r = combine(k, vs, (_k, v) => emitted.push(v))
      return [k, [...emitted, r]]
    })
    deepSame(t, got, want, which)
    return true
  }), { numRuns: 40 })
  // a combine that throws there fails the spill, which names no record
  const c = new SortBuffer({ budget: 16 << 20, combine: () => { throw new Error('no') }, ctx: { file: '', line: 0, count: () => {} }, nextRunPath: () => join(dir, `run-${n++}`), counters: { spills: 0, spilledBytes: 0, spilledPairs: 0 }, append: true })
  c.add('a', 1)
  c.add('b', 2)
  c.add('a', 3)
  t.throws(() => c.finish(), { inSpill: true, message: /combine threw for key "a": Error: no/ })
})

// Without a combiner, a key's numbers are kept out of the heap (number-log.ts) until a value of
// another kind joins them: whatever the numbers and how many a key gets, its values come back
// in emit order, to the sign of a zero.
t.test('a key\'s values without a combiner: numbers of every kind, then others, in emit order', async t => {
  const value = fc.oneof(
    { weight: 8, arbitrary: fc.constantFrom(1, 0, -0, NaN, 127, 128, -1, -33, 0.5, 2 ** 32, -(2 ** 31) - 1, 1e300, Infinity) },
    { weight: 4, arbitrary: fc.double() },
    { weight: 1, arbitrary: fc.constantFrom('x', '', null, true, [1, 2]) }
  )
  // long stretches of one key's values cross the log's blocks (4, 4, 8, ... up to 1024 slots)
  const stretchArb = fc.record({ key: fc.integer({ min: 0, max: 5 }), n: fc.integer({ min: 1, max: 1500 }), value })
  const budgetArb = fc.constantFrom(30_000, 200_000, 4 << 20)
  fc.assert(fc.property(fc.array(stretchArb, { minLength: 1, maxLength: 12 }), budgetArb, fc.integer(), (stretches, budget, seed) => {
    const pairs: Array<[string, unknown]> = []
    let s = seed >>> 0
    for (const st of stretches) {
      for (let i = 0; i < st.n; i++) {
        s = (Math.imul(s, 1103515245) + 12345) >>> 0
        // mostly the stretch's value and key; some others in between
        pairs.push([`k${s % 5 === 0 ? s % 7 : st.key}`, s % 3 === 0 ? (s >>> 8) % 1000 : st.value])
      }
    }
    const counters = { spills: 0, spilledBytes: 0, spilledPairs: 0 }
    const c = new SortBuffer({ budget, ctx: { file: '', line: 0, count: () => {} }, nextRunPath: () => join(dir, `run-${n++}`), counters })
    for (const [k, v] of pairs) c.add(k, v)
    const runs = c.finish().map(r => r.path)
    const got = new Map<string, unknown[]>()
    const m = new Merger(runs)
    try { while (m.next()) got.set(decodeKey(m.key) as string, [...m.values()]) } finally { m.close() }
    for (const r of runs) rmSync(r)
    const want = new Map<string, unknown[]>()
    for (const [k, v] of pairs) want.set(k, [...(want.get(k) ?? []), v])
    deepSame(t, [...got.keys()], [...want.keys()].sort(), 'the keys, in order')
    for (const [k, v] of want) {
      const g = got.get(k) ?? []
      if (g.length !== v.length || !g.every((x, i) => Object.is(x, v[i]) || JSON.stringify(x) === JSON.stringify(v[i]))) t.fail(`key ${k}: got ${g.length} values, want ${v.length}, first difference at ${g.findIndex((x, i) => !Object.is(x, v[i]))}`)
    }
    return true
  }), { numRuns: depth(30, 100) })
})

/**
 * A run's footer against its body: its counts are the groups and values a reader finds, each
 * block starts at a group whose key the block's index key stands for (a reduce range starts
 * reading there), and a block ends at the first group from 64 KB on (the longest group here is ~20 KB).
 */
function checkRun (t: Test, path: string): void {
  const footer = readFooter(path)
  let groups = 0
  let values = 0
  const all = new RunReader(path, footer)
  try {
    while (all.nextGroup()) {
      groups++
      while (all.left > 0) { all.nextValue(); values++ }
    }
  } finally { all.close() }
  if (groups !== footer.groups || values !== footer.values) t.fail(`${path}: footer counts ${footer.groups}/${footer.values}, body ${groups}/${values}`)
  for (let b = 0; b < footer.blocks.length; b++) {
    const [, first, length] = footer.blocks[b]!
    if (length >= 88 << 10 || (b < footer.blocks.length - 1 && length < 64 << 10)) t.fail(`${path}: block ${b} is ${length} bytes`)
    const r = new RunReader(path, footer, b)
    try {
      if (!r.nextGroup() || indexKey(r.key) !== first) t.fail(`${path}: block ${b} does not start at its first key`)
    } finally { r.close() }
  }
}

// Appended keys that all have one value leave it unwritten per key (sort-buffer.ts, `shared`):
// stretches of one value (-0 apart from 0, '' and null too), another value in between, spills
// in the middle, equal keys among the appended ones. A spill whose keys all share the value
// writes it from its bytes (writeShared): long keys, keys with NULs, and over 127 equal keys
// take the general path there.
t.test('appended pairs that share a value keep it, and keep the others', async t => {
  const same = fc.constantFrom<unknown>('', 'v', 0, -0, 7, 2 ** 40, 0.5, null, true, false, 'é'.repeat(31), 'x'.repeat(32))
  const shape = fc.constantFrom('short', 'long', 'nul', 'utf8')
  const stretchOf = fc.record({ value: same, n: fc.integer({ min: 0, max: 3000 }), repeat: fc.constantFrom(0, 0, 1, 2, 200), shape })
  const keyOf = (shape: string, n: number, i: number): string =>
    shape === 'long' ? `l${n}-${'k'.repeat(100 + (n % 200))}-${i % 3}` : shape === 'nul' ? `n\0${n}\0${i % 3}` : shape === 'utf8' ? `u\u00e9${n}\u{1f600}${i % 3}` : `s${n}-${i % 3}`
  let shared = 0
  let wholeSpills = 0
  const sharedGroup = RunWriter.prototype.sharedGroup
  RunWriter.prototype.sharedGroup = function (this: RunWriter, ...args: Parameters<RunWriter['sharedGroup']>) {
    wholeSpills++
    return sharedGroup.apply(this, args)
  }
  t.teardown(() => { RunWriter.prototype.sharedGroup = sharedGroup })
  const stretchesArb = fc.array(stretchOf, { minLength: 1, maxLength: 6 })
  fc.assert(fc.property(stretchesArb, fc.integer({ min: 30_000, max: 2_000_000 }), fc.boolean(), (stretches, budget, append) => {
    const pairs: Array<[string, unknown]> = []
    for (const st of stretches) {
      for (let i = 0; i < st.n; i++) pairs.push([keyOf(st.shape, pairs.length, i), st.value])
      // a key appended again (a group of two or more at the spill), with the stretch's value
      for (let r = 0; r < st.repeat && pairs.length > 0; r++) pairs.push([pairs[pairs.length - 1]![0], st.value])
    }
    const counters = { spills: 0, spilledBytes: 0, spilledPairs: 0 }
    const c = new SortBuffer({ budget, ctx: { file: '', line: 0, count: () => {} }, nextRunPath: () => join(dir, `run-${n++}`), counters, append })
    for (const [k, v] of pairs) {
      c.add(k, v)
      if ((c as unknown as { sharedFrom: number }).sharedFrom !== Infinity) shared++
    }
    const runs = c.finish().map(r => r.path)
    for (const r of runs) checkRun(t, r)
    t.equal(counters.spilledPairs, pairs.length, 'every pair spilled once')
    const got: Array<[unknown, unknown[]]> = []
    const m = new Merger(runs)
    try { while (m.next()) got.push([decodeKey(m.key), [...m.values()]]) } finally { m.close() }
    for (const r of runs) rmSync(r)
    const want = new Map<string, unknown[]>()
    for (const [k, v] of pairs) {
      const vs = want.get(k)
      if (vs === undefined) want.set(k, [v])
      else vs.push(v)
    }
    const bytes = new Map([...want.keys()].map(k => [k, Buffer.from(k)]))
    const keys = [...want.keys()].sort((a, b) => Buffer.compare(bytes.get(a)!, bytes.get(b)!))
    deepSame(t, got.map(g => g[0]), keys)
    for (const [k, vs] of got) {
      const w = want.get(k as string)!
      if (vs.length !== w.length || vs.some((v, i) => !Object.is(v, w[i]))) t.fail(`key ${String(k)}: got ${String(vs)}, want ${String(w)}`)
    }
    return true
  }), { numRuns: 60 })
  t.ok(shared > 10_000, `pairs added while the buffer shared a value: ${shared}`)
  t.ok(wholeSpills > 10_000, `groups written for spills whose keys all shared the value: ${wholeSpills}`)
  // with a combiner, appended equal keys sharing a value are still combined at the spill
  const counted = new SortBuffer({ budget: 16 << 20, combine: sum, ctx: { file: '', line: 0, count: () => {} }, nextRunPath: () => join(dir, `run-${n++}`), counters: { spills: 0, spilledBytes: 0, spilledPairs: 0 }, append: true })
  for (let i = 0; i < 30_000; i++) counted.add(`w${i % 20_000}`, 1)
  const countRuns = counted.finish()
  t.same(countRuns.map(r => r.values), [20_000], 'one value a key in the run')
  for (const r of countRuns) rmSync(r.path)
  // one spill of short keys that all have '' (sort lines): indexed in blocks as any other run
  const lines = new SortBuffer({ budget: 4 << 20, ctx: { file: '', line: 0, count: () => {} }, nextRunPath: () => join(dir, `run-${n++}`), counters: { spills: 0, spilledBytes: 0, spilledPairs: 0 }, append: true })
  for (let i = 0; i < 20_000; i++) lines.add(`line ${i} of text`, '')
  const [run, ...more] = lines.finish()
  t.equal(more.length, 0, 'one spill')
  checkRun(t, run!.path)
  t.ok(run!.blocks.length >= 4, `${run!.blocks.length} blocks for ${run!.bytes} bytes`)
  rmSync(run!.path)
  // -0 after a stretch of 0 (=== would share it, and write 0)
  const counters = { spills: 0, spilledBytes: 0, spilledPairs: 0 }
  const c = new SortBuffer({ budget: 1 << 20, ctx: { file: '', line: 0, count: () => {} }, nextRunPath: () => join(dir, `run-${n++}`), counters, append: true })
  for (let i = 0; i < 100; i++) c.add(`a${i}`, 0)
  for (let i = 0; i < 100; i++) c.add(`b${i}`, -0)
  const runs = c.finish().map(r => r.path)
  const zeros: string[] = []
  const m = new Merger(runs)
  try { while (m.next()) if (Object.is([...m.values()][0], -0)) zeros.push(decodeKey(m.key) as string) } finally { m.close() }
  for (const r of runs) rmSync(r)
  t.equal(zeros.length, 100, 'the keys emitted with -0 have -0')
  t.ok(zeros.every(k => k.startsWith('b')), 'and only they')
})

t.test('a sort buffer refuses pairs once finished (its arena may be the next one\'s)', async t => {
  const counters = { spills: 0, spilledBytes: 0, spilledPairs: 0 }
  const ctx = { file: '', line: 0, count: () => {} }
  const make = () => new SortBuffer({ budget: 123_456, ctx, nextRunPath: () => join(dir, `run-${n++}`), counters })
  const a = make()
  a.add('x', 1)
  for (const r of a.finish()) rmSync(r.path)
  const b = make() // takes a's arena and index
  b.add('p', 'P1')
  t.throws(() => a.add('late', 'LATE'), /after its map task ended/)
  b.add('q', 'Q1')
  b.add('p', 'P2')
  const runs = b.finish().map(r => r.path)
  const m = new Merger(runs)
  const got: Array<[unknown, unknown[]]> = []
  try { while (m.next()) got.push([decodeKey(m.key), [...m.values()]]) } finally { m.close() }
  for (const r of runs) rmSync(r)
  t.same(got, [['p', ['P1', 'P2']], ['q', ['Q1']]])
})

// Arrays of numbers under a combiner are kept in a Float64Array while they keep one width
// (sort-buffer.ts, `tuples`); whatever the values and whatever the combine returns, the runs must
// still merge back to the combined oracle.
t.test('arrays of numbers under a combiner: any widths, values and combine results', async t => {
  /** Adds arrays element by element (a number counts as [n]), in place into the first or into a new one. */
  const add = (inPlace: boolean) => (_k: unknown, values: Iterable<unknown>): unknown => {
    let acc: unknown[] | undefined
    for (const v of values) {
      const a = (typeof v === 'number' ? [v] : v) as number[]
      if (acc === undefined) { acc = inPlace ? a : [...a]; continue }
      for (let i = 0; i < a.length; i++) acc[i] = i < acc.length ? (acc[i] as number) + a[i]! : a[i]
    }
    return acc
  }
  // combines that hand back something other than an array of the same width now and then
  const combines = {
    inPlace: add(true),
    copy: add(false),
    // a string element: the key's value leaves the Float64Array for good
    withString: (k: unknown, values: Iterable<unknown>) => { const r = add(false)(k, values) as unknown[]; if (r[0] === 7) r.push('seven'); return r },
    // two values for a key (emitted, then returned)
    emits: (k: unknown, values: Iterable<unknown>, emit: (k: unknown, v: unknown) => void) => {
      const r = add(false)(k, values) as number[]
      if (r[0] === 5) { emit(k, [r[0] - 2, ...r.slice(1)]); return [2] }
      return r
    },
  }
  const value = fc.oneof(
    fc.tuple(fc.constantFrom(1, 2), fc.constantFrom(0.5, -0, 3, 1e300, -1e300, 2 ** 40)),
    fc.tuple(fc.constant(1)),
    fc.constant(1),
    fc.tuple(fc.constant(1), fc.constant(0.25), fc.constant(-0))
  )
  // few keys (combined often), or many (key indexes far apart, between keys of other values)
  const keyArb = fc.oneof(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 5000 }))
  const pairArb = fc.array(fc.tuple(keyArb, value), { maxLength: 3000 })
  // first, keys of plain numbers (a word count's beside the arrays): the first array's key
  // index may come far past 0
  const whichArb = fc.constantFrom(...(Object.keys(combines) as Array<keyof typeof combines>))
  fc.assert(fc.property(fc.integer({ min: 0, max: 6000 }), pairArb, whichArb, fc.integer({ min: 4_000, max: 300_000 }), (numbers, raw, which, budget) => {
    const combine = combines[which]
    const pairs = Array.from({ length: numbers }, (_, i) => [`n${i}`, i] as [string, unknown])
    for (const [k, v] of raw) pairs.push([`k${k}`, v])
    const counters = { spills: 0, spilledBytes: 0, spilledPairs: 0 }
    const c = new SortBuffer({ budget, combine, ctx: { file: '', line: 0, count: () => {} }, nextRunPath: () => join(dir, `run-${n++}`), counters })
    // the job's arrays are fresh per emit, as a map's are; a copy goes to the oracle
    for (const [k, v] of pairs) c.add(k, Array.isArray(v) ? [...v] : v)
    const runs = c.finish().map(r => r.path)
    const got = new Map<string, unknown>()
    const m = new Merger(runs)
    try {
      while (m.next()) got.set(decodeKey(m.key) as string, add(false)(null, [...m.values()].flatMap(v => (Array.isArray(v) && typeof v.at(-1) === 'string' ? [v.slice(0, -1)] : [v]))))
    } finally { m.close() }
    for (const r of runs) rmSync(r)
    const groups = new Map<string, unknown[]>()
    for (const [k, v] of pairs) {
      const g = groups.get(k)
      if (g === undefined) groups.set(k, [v])
      else g.push(v)
    }
    const want = new Map<string, unknown>()
    for (const [k, vs] of groups) want.set(k, add(false)(null, vs))
    deepSame(t, [...got.keys()], [...want.keys()].sort())
    for (const [k, v] of want) if (!Object.is(JSON.stringify(got.get(k)), JSON.stringify(v)) || !sameZeros(got.get(k), v)) t.fail(`${which}: key ${k}: got ${JSON.stringify(got.get(k))}, want ${JSON.stringify(v)}`)
    return true
  }), { numRuns: 150 })
})

/** Whether two arrays have -0 in the same places (JSON drops the sign). */
function sameZeros (a: unknown, b: unknown): boolean {
  return Array.isArray(a) && Array.isArray(b) && a.every((x, i) => Object.is(x, 0) === Object.is(b[i], 0) && Object.is(x, -0) === Object.is(b[i], -0))
}

// The built-in sum as combine is done in place (sort-buffer.ts): it must give what calling sum
// gives, to the sign of a zero, and refuse what sum refuses.
t.test('the built-in sum, added in place, equals calling it', async t => {
  const { sum } = await import('../../dist/lib/job/job.js')
  const called = (k: unknown, vs: Iterable<unknown>) => sum(k, vs as Iterable<number>) // not sum itself: no fast path
  const num = fc.constantFrom(1, -0, 0, 0.5, -1.5, 1e300, -1e300, 2 ** 53, NaN)
  const value = fc.oneof(num, fc.tuple(num, num))
  const runOf = (combine: typeof sum, pairs: Array<[string, unknown]>, budget: number): Array<[unknown, unknown[]]> => {
    const counters = { spills: 0, spilledBytes: 0, spilledPairs: 0 }
    const c = new SortBuffer({ budget, combine, ctx: { file: '', line: 0, count: () => {} }, nextRunPath: () => join(dir, `run-${n++}`), counters })
    for (const [k, v] of pairs) c.add(k, Array.isArray(v) ? [...v] : v)
    const runs = c.finish().map(r => r.path)
    const got: Array<[unknown, unknown[]]> = []
    const m = new Merger(runs)
    try { while (m.next()) got.push([decodeKey(m.key), [...m.values()]]) } finally { m.close() }
    for (const r of runs) rmSync(r)
    return got
  }
  const rawArb = fc.array(fc.tuple(fc.integer({ min: 0, max: 30 }), value), { maxLength: 2000 })
  fc.assert(fc.property(rawArb, fc.integer({ min: 4_000, max: 200_000 }), (raw, budget) => {
    // a key's values are all numbers or all pairs (sum refuses a mix)
    const pairs = raw.map(([k, v]) => [`${Array.isArray(v) ? 'p' : 'n'}${k}`, v] as [string, unknown])
    const fast = runOf(sum, pairs, budget)
    const slow = runOf(called, pairs, budget)
    const same = fast.length === slow.length && fast.every(([k, vs], i) => k === slow[i]![0] && vs.length === slow[i]![1].length && vs.every((v, j) => {
      const w = slow[i]![1][j]
      return Array.isArray(v) ? Array.isArray(w) && v.length === w.length && v.every((x, e) => Object.is(x, w[e])) : Object.is(v, w)
    }))
    if (!same) t.fail(`in place ${JSON.stringify(fast)}\n  called ${JSON.stringify(slow)}`)
    return same
  }), { numRuns: 150 })
  const counters = { spills: 0, spilledBytes: 0, spilledPairs: 0 }
  const c = new SortBuffer({ budget: 1 << 20, combine: sum, ctx: { file: '', line: 0, count: () => {} }, nextRunPath: () => join(dir, `run-${n++}`), counters })
  c.add('k', [1, 2])
  t.throws(() => c.add('k', [1, 2, 3]), /combine threw for key "k": .*sum/, 'an array of another length is refused, as sum refuses it')
})

// Long keys and values, against what the buffer holds: a long key spills alone (the keys
// before it first, not copied into an arena grown for it), and the arena is its first buffer
// again after; a long string value is kept packed, in a buffer of its size, counted at that size.
t.test('long keys and values: bytes counted against bytes held', async t => {
  const counters = { spills: 0, spilledBytes: 0, spilledPairs: 0 }
  const ctx = { file: '', line: 0, count: () => {} }
  const c = new SortBuffer({ budget: 8 << 20, ctx, nextRunPath: () => join(dir, `run-${n++}`), counters })
  const inside = c as unknown as { bytes: number, arena: { bytes: Buffer, used: number } }
  const home = inside.arena.bytes
  c.add('short', 1)
  c.add('n', 'é'.repeat(1 << 20)) // 2 MB of UTF-8
  t.equal(counters.spills, 0)
  t.ok(inside.bytes >= 2 << 20 && inside.bytes < (2 << 20) + 4096, `the value counts its packed bytes (${inside.bytes})`)
  const stored = (c as unknown as { values: unknown[] }).values.find(v => Buffer.isBuffer(v)) as Buffer
  t.equal(stored.length, 5 + (2 << 20), 'kept packed, in a buffer of its size')
  c.add('k'.repeat(9 << 20), 2) // past the arena's limit (the budget and 64 KB)
  t.equal(counters.spills, 2, 'the pairs before it spilled first, then the key alone')
  t.equal(inside.arena.bytes, home, 'the arena is its first buffer again')
  t.equal(inside.bytes, 0)
  const runs = c.finish()
  t.equal(counters.spilledPairs, 3)
  t.same(runs.map(r => r.sizes.key), [0, 3 + (9 << 20)], 'a run records its longest key over 256 KB')
  t.same(runs.map(r => r.sizes.value), [5 + (2 << 20), 0], 'and its longest value')
  const got: Array<[number, unknown[]]> = []
  const m = new Merger(runs.map(r => r.path))
  try { while (m.next()) got.push([(decodeKey(m.key) as string).length, [...m.values()].map(v => typeof v === 'string' ? v.length : v)]) } finally { m.close() }
  for (const r of runs) rmSync(r.path)
  t.same(got, [[9 << 20, [2]], [1, [1 << 20]], [5, [1]]])
})

// -r sum's combine (sum.ts) keeps a key's exact sum: exact additions in place, the rest as
// partials; the reduce of what a buffer spilled is the sum of all the values, rounded once.
t.test('the exact sum combine: what it spills reduces to the sum of all the values, whatever the spills', async t => {
  const { loadJob } = await import('../../dist/lib/job/job.js')
  const job = await loadJob({ map: '(l, emit) => emit(l, 1)', reduce: 'sum' })
  const reduce = job.reduce!
  const combine = job.combine
  const ctx = { file: '', line: 0, count: () => {} }
  const num = fc.oneof(
    fc.constantFrom(1, -0, 0.1, 0.2, 0.3, 1e16, -1e16, 1e300, -1e300, 2 ** 53, 5e-324),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.integer({ min: -100, max: 100 })
  )
  const value = fc.oneof(num, fc.tuple(num, num))
  const rawArb = fc.array(fc.tuple(fc.integer({ min: 0, max: 20 }), value), { maxLength: 1500 })
  fc.assert(fc.property(rawArb, fc.integer({ min: 4_000, max: 200_000 }), (raw, budget) => {
    const pairs = raw.map(([k, v]) => [`${Array.isArray(v) ? 'p' : 'n'}${k}`, v] as [string, unknown])
    const counters = { spills: 0, spilledBytes: 0, spilledPairs: 0 }
    const c = new SortBuffer({ budget, combine, ctx, nextRunPath: () => join(dir, `run-${n++}`), counters })
    for (const [k, v] of pairs) c.add(k, Array.isArray(v) ? [...v] : v)
    const runs = c.finish().map(r => r.path)
    const m = new Merger(runs)
    const got = new Map<string, unknown>()
    try { while (m.next()) got.set(decodeKey(m.key) as string, reduce(null, [...m.values()], () => {}, ctx)) } finally { m.close() }
    for (const r of runs) rmSync(r)
    const byKey = new Map<string, unknown[]>()
    for (const [k, v] of pairs) byKey.set(k, [...(byKey.get(k) ?? []), v])
    for (const [k, vs] of byKey) {
      const want = reduce(null, vs, () => {}, ctx)
      const have = got.get(k)
      const same = Array.isArray(want) ? Array.isArray(have) && want.every((x, i) => Object.is(x, have[i])) : Object.is(want, have)
      if (!same) { t.fail(`${k}: ${JSON.stringify(have)}, not ${JSON.stringify(want)}`); return false }
    }
    return got.size === byKey.size
  }), { numRuns: 100 })
  t.pass()
})

// Past 65,536 keys, pairs of an ASCII key (up to 64 characters) and a number wait (under a
// combiner) until the map call returns, 64 at most, and their index slots are loaded
// together; they must count as the pairs added one by one do, whatever comes between: other
// keys, spills, a flush anywhere.
t.test('pairs held for a large index sum as the oracle does', async t => {
  const KEYS = 70_000
  const builtinSum = (await import('../../dist/lib/job/job.js')).sum
  let held = 0
  const pairArb = fc.array(fc.tuple(fc.integer({ min: 0, max: 2 * KEYS }), fc.constantFrom('short', 'long', 'longer', 'accent', 'flush'), fc.integer({ min: -5, max: 5 })), { minLength: 1, maxLength: 2000 })
  fc.assert(fc.property(pairArb, fc.constantFrom(4_500_000, 5_000_000, 64 << 20), fc.boolean(), (raw, budget, builtin) => {
    const combine = builtin ? builtinSum : sum
    const counters = { spills: 0, spilledBytes: 0, spilledPairs: 0 }
    const c = new SortBuffer({ budget, combine, ctx: { file: '', line: 0, count: () => {} }, nextRunPath: () => join(dir, `run-${n++}`), counters })
    const pairs: Array<[unknown, number]> = []
    const add = (k: unknown, v: number): void => {
      pairs.push([k, v])
      c.add(k, v)
      held = Math.max(held, (c as unknown as { held: { n: number } }).held.n)
    }
    // (two pairs a key, so that the buffer goes on indexing)
    for (let i = 0; i < KEYS; i++) { add(i.toString(36), 1); add((i >> 1).toString(36), 2) }
    for (const [k, kind, v] of raw) {
      // ASCII keys held, in their slot (short) or in the arena (long); and keys that are not
      // held: over 64 characters (63-65 here), or not ASCII
      if (kind === 'flush') c.flush() // (as when a map call returns)
      else add(kind === 'short' ? k.toString(36) : kind === 'long' ? `long-key-${k}` : kind === 'longer' ? `${'x'.repeat(62)}${k % 1000}` : `\u00e9${k % 100}`, v)
    }
    const runs = c.finish().map(x => x.path)
    const got: Array<[unknown, unknown[]]> = []
    const m = new Merger(runs)
    try { while (m.next()) got.push([decodeKey(m.key), [sum(null, [...m.values()])]]) } finally { m.close() }
    for (const x of runs) rmSync(x)
    deepSame(t, got, oracle(pairs, true))
    return true
  }), { numRuns: 4 })
  t.ok(held > 1, `pairs were held (${held} at most)`)
})

// With the job's own combine, pairs whose value is the buffer's first key's (a count's 1) pend
// as a count a key, and are combined in one call (pending.ts) when another value comes, when
// the count is full and at the spill: whatever the keys (non-ASCII, long), the other values,
// the spills and what the combine gives back, the runs reduce to the oracle's (held pairs pend
// in 'pairs held for a large index' above).
t.test('pending values under a job\'s combine reduce as the oracle does', async t => {
  /** A value's total: a number, or an object { s } (a combine's result of another kind). */
  const total = (vs: Iterable<unknown>): number => { let s = 0; for (const v of vs) s += typeof v === 'number' ? v : (v as { s: number }).s; return s }
  const combines: Record<string, (k: unknown, vs: Iterable<unknown>, emit: (k: unknown, v: unknown) => void) => unknown> = {
    sum: (_k, vs) => total(vs),
    // two values for a key, one emitted
    emits: (k, vs, emit) => { const s = total(vs); if (s % 4 === 0) { emit(k, 1); return s - 1 } return s },
    // an object now and then (stored packed, a Multi after): the key pends no more
    object: (_k, vs) => { const s = total(vs); return s % 5 === 0 ? { s } : s },
  }
  const keyArb = fc.oneof(
    fc.integer({ min: 0, max: 30 }).map(i => `h${i}`),
    fc.integer({ min: 0, max: 3000 }).map(i => `k${i}`),
    fc.integer({ min: 0, max: 50 }).map(i => `\u00e9\u{1f600}${i}`),
    fc.integer({ min: 0, max: 50 }).map(i => `${'long-key-'.repeat(8)}${i}`)
  )
  // mostly 1 (pending), a few others (combined with what pends)
  const valueArb = fc.oneof({ weight: 8, arbitrary: fc.constant(1) }, { weight: 1, arbitrary: fc.integer({ min: -3, max: 7 }) })
  const pairsArb = fc.array(fc.tuple(keyArb, valueArb), { minLength: 1, maxLength: 4000, size: 'max' })
  fc.assert(fc.property(pairsArb, fc.constantFrom(...Object.keys(combines)), fc.integer({ min: 3_000, max: 200_000 }), (pairs, which, budget) => {
    const counters = { spills: 0, spilledBytes: 0, spilledPairs: 0 }
    const c = new SortBuffer({ budget, combine: combines[which], ctx: { file: '', line: 0, count: () => {} }, nextRunPath: () => join(dir, `run-${n++}`), counters })
    const want = new Map<string, number>()
    const add = (k: string, v: number): void => { c.add(k, v); want.set(k, (want.get(k) ?? 0) + v) }
    for (const [k, v] of pairs) {
      add(k, v)
      if (v !== 1) c.flush() // (as when a map call returns)
    }
    const runs = c.finish().map(r => r.path)
    const got = new Map<string, number>()
    const m = new Merger(runs)
    try { while (m.next()) got.set(decodeKey(m.key) as string, total(m.values())) } finally { m.close() }
    for (const r of runs) rmSync(r)
    t.same([...got].sort(), [...want].sort())
    return true
  }), { numRuns: depth(16, 100) })
})

t.test('pending values are one-pass: a combine that reads them as an array fails', async t => {
  const c = new SortBuffer({ budget: 1 << 20, combine: (_k, vs) => (vs as number[])[0]! + (vs as number[])[1]!, ctx: { file: '', line: 0, count: () => {} }, nextRunPath: () => join(dir, `run-${n++}`), counters: { spills: 0, spilledBytes: 0, spilledPairs: 0 } })
  for (let i = 0; i < 20; i++) c.add('a', 1) // (its first combines are made at once, with two values)
  t.throws(() => c.finish(), { message: /combine for key "a": values\[\d\] is undefined: values is one-pass/ })
})
