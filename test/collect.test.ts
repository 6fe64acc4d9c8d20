// collect.ts: whatever the mix of keys, the runs a Collector writes merge back to every pair,
// grouped by key in code point order with values in emit order (or combined), also when it
// switches between indexing its keys and appending pairs (all-distinct stretches of keys).
import t from 'tap'
import fc from 'fast-check'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Collector } from '../dist/lib/collect.js'
import { Merger } from '../dist/lib/merge.js'
import { decodeKey, encodeKey } from '../dist/lib/keys.js'

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
  fc.record({ kind: fc.constant('prefixed' as const), n: fc.integer({ min: 0, max: 3000 }), keys: fc.integer({ min: 1, max: 3000 }) }),
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
  const sorted = [...groups.entries()].sort((a, b) => Buffer.compare(Buffer.from(a[0], 'latin1'), Buffer.from(b[0], 'latin1')))
  return sorted.map(([, [k, vs]]) => [k, combine ? [sum(k, vs)] : vs])
}

t.test('runs merge back to the oracle, across index/append switches and tasks', async t => {
  let appended = 0
  let switched = 0
  // budgets from a few values, so that one case's collector often reuses the last one's key
  // arena and index, as a worker's consecutive tasks do; large ones hold enough pairs for a
  // buffer to turn from indexing to appending before it spills
  const budgetArb = fc.oneof(fc.integer({ min: 20_000, max: 400_000 }), fc.constantFrom(50_000, 200_000, 1_000_000))
  fc.assert(fc.property(fc.array(stretch, { minLength: 1, maxLength: 8 }), fc.integer(), budgetArb, fc.boolean(), fc.boolean(), (stretches, seed, budget, combine, append) => {
    const pairs = pairsOf(stretches, seed)
    const counters = { spills: 0, spilledBytes: 0, spilledPairs: 0 }
    const c = new Collector({ budget, combine: combine ? sum : undefined, ctx: { file: '', line: 0, count: () => {} }, nextRunPath: () => join(dir, `run-${n++}`), counters, append })
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
    const runs = c.finish().map(r => r.path)
    const got: Array<[unknown, unknown[]]> = []
    const m = new Merger(runs)
    try {
      while (m.next()) {
        const values = [...m.values()]
        got.push([decodeKey(m.key), combine ? [sum(null, values)] : values])
      }
    } finally { m.close() }
    for (const r of runs) rmSync(r)
    t.same(got, oracle(pairs, combine))
    return true
  }), { numRuns: 100 })
  // the cases must reach the appending mode (a change that never appended would pass otherwise),
  // also in the middle of a buffer, after keys were indexed
  t.ok(appended >= 10, `${appended} of 100 cases appended`)
  t.comment(`${switched} buffers turned to appending before they spilled`)
})

t.test('a buffer that turns to appending keeps the values of the keys it indexed, in emit order', async t => {
  for (const combine of [false, true]) {
    const counters = { spills: 0, spilledBytes: 0, spilledPairs: 0 }
    const c = new Collector({ budget: 20 << 20, combine: combine ? sum : undefined, ctx: { file: '', line: 0, count: () => {} }, nextRunPath: () => join(dir, `run-${n++}`), counters })
    const pairs: Array<[string, number]> = [['hot', 1], ['hot', 2], ['one', 3]]
    for (let i = 0; i < 6000; i++) pairs.push([`k${i}`, i])
    pairs.push(['hot', 4], ['one', 5], ['k7', 6], ['hot', 7])
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
    t.same(got, want, combine ? 'combined' : 'values in emit order')
    t.same(got.find(g => g[0] === 'hot')![1], combine ? [14] : [1, 2, 4, 7])
  }
})

t.test('a collector refuses pairs once finished (its arena may be the next one\'s)', async t => {
  const counters = { spills: 0, spilledBytes: 0, spilledPairs: 0 }
  const ctx = { file: '', line: 0, count: () => {} }
  const make = () => new Collector({ budget: 123_456, ctx, nextRunPath: () => join(dir, `run-${n++}`), counters })
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
