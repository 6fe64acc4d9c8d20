// merge.ts: a k-way merge of runs gives every key of its range once, in byte order of the
// encoded keys, with its values in run order. Keys here mostly share a long prefix (the
// merge compares numbers made of the bytes after it), with keys shorter than it, below and
// above it, NULs and other types mixed in.
import t from 'tap'
import fc from 'fast-check'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Merger } from '../../dist/lib/runs/merge.js'
import { RunWriter } from '../../dist/lib/runs/run-file.js'
import { decodeKey, encodeKey } from '../../dist/lib/codec/keys.js'

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

t.test('a merge over a key range gives its keys in order, values in run order', async t => {
  fc.assert(fc.property(
    fc.array(fc.array(fc.tuple(key, fc.integer({ min: 0, max: 99 })), { maxLength: 60 }), { minLength: 1, maxLength: 9 }),
    fc.option(key), fc.option(key),
    (runPairs, loKey, hiKey) => {
      const all: Array<{ ekey: string, run: number, value: number }> = []
      const paths = runPairs.map((pairs, run) => {
        const groups = new Map<string, number[]>()
        for (const [k, v] of pairs) {
          const ekey = encodeKey(k)
          groups.set(ekey, [...(groups.get(ekey) ?? []), v])
          all.push({ ekey, run, value: v })
        }
        const p = join(dir, `r${n++}`)
        const w = new RunWriter(p, 'spill')
        for (const ekey of [...groups.keys()].sort()) {
          w.startGroup(ekey, groups.get(ekey)!.length)
          for (const v of groups.get(ekey)!) w.value(v)
        }
        w.close()
        return p
      })
      const lo = loKey === null ? null : encodeKey(loKey)
      const hi = hiKey === null ? null : encodeKey(hiKey)
      // encoded keys as latin1 strings order as their bytes; a stable sort keeps run order
      const inRange = all.filter(p => (lo === null || p.ekey >= lo) && (hi === null || p.ekey < hi))
      inRange.sort((a, b) => (a.ekey < b.ekey ? -1 : a.ekey > b.ekey ? 1 : a.run - b.run))
      const want: Array<[unknown, number[]]> = []
      for (const p of inRange) {
        const last = want[want.length - 1]
        if (last !== undefined && encodeKey(last[0]) === p.ekey) last[1].push(p.value)
        else want.push([decodeKey(p.ekey), [p.value]])
      }
      const got: Array<[unknown, number[]]> = []
      const m = new Merger(paths, { lo, hi })
      try {
        while (m.next()) got.push([m.decodedKey(), [...m.values()] as number[]])
      } finally {
        m.close()
        for (const p of paths) rmSync(p)
      }
      t.same(got, want)
      return true
    }), { numRuns: 300 })
})
