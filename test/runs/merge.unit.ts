// merge.ts: a k-way merge of runs gives every key of its range once, in byte order of the
// encoded keys, with its values in run order. Keys here mostly share a long prefix (the
// merge compares numbers made of the bytes after it), with keys shorter than it, below and
// above it, NULs and other types mixed in.
import t from 'tap'
import fc from 'fast-check'
import { mkdtempSync, readdirSync, readlinkSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Merger, mergeRuns } from '../../dist/lib/runs/merge.js'
import { INDEX_KEY_BYTES, readFooter } from '../../dist/lib/runs/run-format.js'
import { RunWriter } from '../../dist/lib/runs/run-writer.js'
import { chooseSplitters } from '../../dist/lib/exec/plan.js'
import { decodeKey, encodeKey } from '../../dist/lib/codec/keys.js'
import { deepSame } from '../helpers/same.js'

const dir = mkdtempSync(join(tmpdir(), 'mrstream-test-merge-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))
let n = 0

const PREFIX = 'logs/2024/03/'
const tail = fc.string({ unit: fc.constantFrom('a', 'b', '\0', '\x7f', 'é', '/', '0'), maxLength: 9 })
const key = fc.oneof(
  { weight: 8, arbitrary: tail.map(s => PREFIX + s) },
  // cut short, or differing from the shared prefix below or above it
  { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 0, max: PREFIX.length }), fc.constantFrom('', 'a', '~', '\0'), tail).map(([cut, c, s]) => PREFIX.slice(0, cut) + c + s) },
  {
    weight: 1,
    arbitrary: fc.oneof(fc.integer({ min: -3, max: 3 }), fc.constant(null), fc.boolean(), fc.tuple(fc.constant(PREFIX), fc.integer({ min: 0, max: 2 })))
  }
)

interface Pair { ekey: string, run: number, value: number }

/**
 * Writes each run's pairs as a run (grouped by key, in key order), each value followed
 * by `filler` when given; adds every pair to `all`; returns the paths.
 */
function writeRuns (runPairs: Array<Array<[unknown, number]>>, all: Pair[], filler?: string): string[] {
  return runPairs.map((pairs, run) => {
    const groups = new Map<string, number[]>()
    for (const [k, v] of pairs) {
      const ekey = encodeKey(k)
      groups.set(ekey, [...(groups.get(ekey) ?? []), v])
      all.push({ ekey, run, value: v })
    }
    const p = join(dir, `r${n++}`)
    const w = new RunWriter(p, 'spill')
    for (const ekey of [...groups.keys()].sort()) {
      const vs = groups.get(ekey)!
      w.startGroup(ekey, filler === undefined ? vs.length : 2 * vs.length)
      for (const v of vs) { w.value(v); if (filler !== undefined) w.value(filler) }
    }
    w.close()
    return p
  })
}

/** The pairs as a merge gives them: by key (as bytes), each key's values in run order. */
function grouped (pairs: Pair[]): Array<[unknown, number[]]> {
  // encoded keys as latin1 strings order as their bytes; a stable sort keeps run order
  const sorted = [...pairs].sort((a, b) => (a.ekey < b.ekey ? -1 : a.ekey > b.ekey ? 1 : a.run - b.run))
  const want: Array<[unknown, number[]]> = []
  for (const p of sorted) {
    const last = want[want.length - 1]
    if (last !== undefined && encodeKey(last[0]) === p.ekey) last[1].push(p.value)
    else want.push([decodeKey(p.ekey), [p.value]])
  }
  return want
}

/** What a merge of `paths` over [lo, hi) gives, without `filler` values. */
function merged (paths: string[], lo: string | null, hi: string | null, filler?: string): Array<[unknown, number[]]> {
  const got: Array<[unknown, number[]]> = []
  const m = new Merger(paths, { lo, hi })
  try {
    while (m.next()) got.push([m.decodedKey(), [...m.values()].filter(v => v !== filler) as number[]])
    if (m.next()) throw new Error('next() after the end found a key') // (and stays at the end)
  } finally {
    m.close()
  }
  return got
}

t.test('a merge over a key range gives its keys in order, values in run order', async t => {
  fc.assert(fc.property(
    fc.array(fc.array(fc.tuple(key, fc.integer({ min: 0, max: 99 })), { maxLength: 60 }), { minLength: 1, maxLength: 9 }),
    fc.option(key), fc.option(key),
    (runPairs, loKey, hiKey) => {
      const all: Pair[] = []
      const paths = writeRuns(runPairs, all)
      const lo = loKey === null ? null : encodeKey(loKey)
      const hi = hiKey === null ? null : encodeKey(hiKey)
      try {
        deepSame(t, merged(paths, lo, hi), grouped(all.filter(p => (lo === null || p.ekey >= lo) && (hi === null || p.ekey < hi))))
      } finally {
        for (const p of paths) rmSync(p)
      }
      return true
    }), { numRuns: 300 })
})

t.test('keys longer than a block index keeps: ranges cut at index keys give every key once, in order', async t => {
  // The index keeps a block's first key whole below INDEX_KEY_BYTES, else its first bytes; the
  // engine's key ranges are cut at index keys, so a range may end at a prefix of a key.
  const long = fc.tuple(fc.integer({ min: INDEX_KEY_BYTES - 8, max: INDEX_KEY_BYTES + 8 }), fc.constantFrom('a', 'b'), tail)
    .map(([len, c, s]) => 'p'.repeat(len) + c + s)
  const anyKey = fc.oneof({ weight: 6, arbitrary: long }, { weight: 1, arbitrary: key })
  // values of ~20 KB between the pairs' own: a few groups a 64 KB block
  const filler = 'v'.repeat(20000)
  fc.assert(fc.property(
    fc.array(fc.array(fc.tuple(anyKey, fc.integer({ min: 0, max: 99 })), { maxLength: 40 }), { minLength: 1, maxLength: 5 }),
    fc.integer({ min: 2, max: 6 }),
    (runPairs, ranges) => {
      const all: Pair[] = []
      const paths = writeRuns(runPairs, all, filler)
      try {
        const blocks = paths.flatMap(p => readFooter(p).blocks)
        if (blocks.some(b => b[1].length > INDEX_KEY_BYTES)) return false
        const splitters = chooseSplitters(blocks.map(b => b[1]), ranges)
        const got: Array<[unknown, number[]]> = []
        const bounds = [null, ...splitters, null]
        for (let i = 1; i < bounds.length; i++) got.push(...merged(paths, bounds[i - 1]!, bounds[i]!, filler))
        deepSame(t, got, grouped(all))
      } finally {
        for (const p of paths) rmSync(p)
      }
      return true
    }), { numRuns: 60 })
})

t.test('a merge pass whose output cannot be opened leaves none of its runs open', async t => {
  const runs = writeRuns([[['a', 1], ['b', 2]], [['a', 3]]], [])
  const open = (): string[] => readdirSync('/proc/self/fd').flatMap(fd => {
    try {
      const target = readlinkSync(`/proc/self/fd/${fd}`)
      return target.startsWith(dir) ? [target] : []
    } catch { return [] }
  })
  t.throws(() => mergeRuns(runs, join(dir, 'missing', 'out.run'), undefined, { file: '', line: 0, count: () => {} }), { code: 'MRS_ERR_IO' })
  t.same(open(), [], 'no run left open')
  for (const p of runs) rmSync(p)
})

t.test('a key\'s values read through values() are its values in run order, of any kind, wherever the buffer ends', async t => {
  // (integers are read from a run a batch at a time: runs of them here, broken by other values)
  const value = fc.oneof(
    {
      weight: 6,
      arbitrary: fc.oneof(fc.integer({ min: -40, max: 200 }), fc.integer(), fc.constantFrom(255, 256, 65535, 65536, -129, -32769, 2 ** 31 - 1, -(2 ** 31)))
    },
    {
      weight: 1,
      arbitrary: fc.oneof(fc.constantFrom(-0, 0.5, NaN, 2 ** 31, 2 ** 32 + 1, -(2 ** 31) - 1), fc.double(), fc.string({ maxLength: 4 }), fc.constant(null), fc.constant('x'.repeat(300)))
    }
  )
  const group = fc.array(value, { maxLength: 700 })
  const runsArb = fc.array(fc.array(group, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 3 })
  fc.assert(fc.property(runsArb, fc.integer({ min: 64, max: 4096 }), fc.nat({ max: 20 }), (runs, bufferBytes, stop) => {
    // run r holds keys 0..(its groups - 1), key k's values from run r being runs[r][k]
    const paths = runs.map(groups => {
      const p = join(dir, `r${n++}`)
      const w = new RunWriter(p, 'spill')
      groups.forEach((vs, k) => { w.startGroup(encodeKey(k), vs.length); for (const v of vs) w.value(v) })
      w.close()
      return p
    })
    const m = new Merger(paths, { bufferBytes })
    try {
      for (let k = 0; m.next(); k++) {
        const want = runs.flatMap(groups => groups[k] ?? [])
        if (m.decodedKey() !== k) return false
        // every other key is read only in part (a reduce may stop early): the next key reads right after it
        const got: unknown[] = []
        for (const v of m.values()) {
          if (k % 2 === 1 && got.length === stop) break
          got.push(v)
        }
        const expected = k % 2 === 1 ? want.slice(0, stop) : want
        if (got.length !== expected.length || got.some((v, i) => !Object.is(v, expected[i]))) return false
      }
      return true
    } finally {
      m.close()
      for (const p of paths) rmSync(p)
    }
  }), { numRuns: 150, seed: 5 })
  t.pass()
})
