// number-log.ts: each key's numbers come back in the order added, whatever their blocks (a
// key's blocks double up to 1,024 slots) and however the pool grew to hold them; a cleared log
// starts over.
import t from 'tap'
import fc from 'fast-check'
import { NumberLog } from '../../dist/lib/map/number-log.js'

t.test('a key\'s numbers in the order added, across blocks and a pool that grows', async t => {
  fc.assert(fc.property(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 2, max: 120_000 }), fc.integer(), (keys, n, seed) => {
    // a pool of one slot to start with: it grows (by copying) past 65,536 slots
    const log = new NumberLog(1)
    const want: number[][] = Array.from({ length: keys }, () => [])
    let s = seed >>> 0
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < n; i++) {
        s = (Math.imul(s, 1103515245) + 12345) >>> 0
        const k = s % keys
        const v = i % 3 === 0 ? -i : i / 7
        want[k]!.push(v)
        if (want[k]!.length === 2) log.start(k, want[k]![0]!, v)
        else if (want[k]!.length > 2) log.add(k, v)
      }
      for (let k = 0; k < keys; k++) {
        if (want[k]!.length < 2) continue
        if (log.count(k) !== want[k]!.length) return false
        const got = log.values(k)
        if (!got.every((x, j) => Object.is(x, want[k]![j]))) return false
      }
      log.clear()
      for (const w of want) w.length = 0
    }
    return true
  }), { numRuns: 20 })
  t.pass()
})

t.test('bytes taken: a block\'s slots and its link, when one is made, else none', async t => {
  const log = new NumberLog(1 << 10)
  t.equal(log.start(0, 1, 2), 8 * 5, 'the first block: 4 slots and a link')
  t.equal(log.add(0, 3), 0)
  t.equal(log.add(0, 4), 0)
  t.equal(log.add(0, 5), 8 * 5, 'the next block: as many slots as values so far (4), and a link')
  let taken = 0
  for (let v = 6; v <= 5000; v++) taken += log.add(0, v)
  t.same(log.values(0), Array.from({ length: 5000 }, (_, i) => i + 1))
  t.ok(taken <= 8 * 2 * 5000, 'blocks hold at most twice the values')
})
