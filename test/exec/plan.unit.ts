// plan.ts's merge plan: each pass covers every run in order with groups of consecutive runs,
// no group over the fan-in; passes end with at most fan-in runs, and when one partial pass is
// enough, it merges only as many runs as needed to leave exactly fan-in.
import t from 'tap'
import fc from 'fast-check'
import { blockWork, chooseSplitters, mergeFanIn, mergeGroups, recordHeapMb } from '../../dist/lib/exec/plan.js'
import type { Block } from '../../dist/lib/runs/run-format.js'

t.test('merge groups', async t => {
  fc.assert(fc.property(fc.integer({ min: 2, max: 300 }), fc.integer({ min: 1, max: 2000 }), fc.integer({ min: 1, max: 8 }), (fanIn, extra, workers) => {
    let runs = fanIn + extra
    let passes = 0
    let merged = 0
    while (runs > fanIn) {
      const groups = mergeGroups(runs, fanIn, workers)
      if (groups[0]![0] !== 0 || groups[groups.length - 1]![1] !== runs) return false
      for (let i = 1; i < groups.length; i++) if (groups[i]![0] !== groups[i - 1]![1]) return false
      if (groups.some(([a, b]) => b - a < 1 || b - a > fanIn)) return false
      if (passes === 0) merged = groups.filter(([a, b]) => b - a > 1).reduce((n, [a, b]) => n + b - a, 0)
      runs = groups.length
      passes++
    }
    if (extra < fanIn) return passes === 1 && runs === fanIn && merged === extra + Math.min(workers, extra)
    return true
  }), { numRuns: 2000 })
  t.pass()
})

t.test('fewer runs merged at once when keys are long: their keys fit a worker\'s share of --memory', async t => {
  const runs = (keys: number[]) => keys.map(key => ({ path: '', groups: 0, values: 0, bytes: 0, blocks: [], sizes: { key, value: 0 } }))
  t.equal(mergeFanIn(64, 256 << 20, runs([0, 0])), 64, 'no key over 256 KB: the fan-in')
  t.equal(mergeFanIn(64, 128 << 20, runs([0, 1 << 20])), 64, '1 MB keys: 64 fit in 128 MB')
  t.equal(mergeFanIn(64, 1 << 20, runs([1 << 20, 512 << 10])), 16, 'under a small --memory, 16 MB of keys')
  t.equal(mergeFanIn(64, 128 << 20, runs([60 << 20])), 2, '60 MB keys: 2, the least')
  t.equal(mergeFanIn(8, 128 << 20, runs([1 << 20])), 8, 'never more than --fan-in')
})

t.test('a worker\'s heap has room for three copies of the longest record', async t => {
  t.equal(recordHeapMb(0), 64)
  t.equal(recordHeapMb(64 << 20), 256, 'the default --max-line-bytes: the least heap there was')
  t.equal(recordHeapMb((150 << 20) + 5), 64 + 3 * 151)
})

t.test('key ranges: cut from the blocks\' first keys by bytes, increasing, never at the smallest key', async t => {
  const blocks = fc.array(fc.tuple(fc.string({ unit: fc.constantFrom('a', 'b', 'c', 'd'), maxLength: 3 }), fc.integer({ min: 1, max: 1000 })), { maxLength: 60 })
  fc.assert(fc.property(blocks, fc.integer({ min: 1, max: 8 }), (bs, n) => {
    const keys = bs.map(b => b[0])
    const cuts = chooseSplitters(keys, n, bs.map(b => b[1]))
    const smallest = [...keys].sort()[0]
    if (n === 1 && cuts.length > 0) return false
    for (let i = 0; i < cuts.length; i++) {
      if (!keys.includes(cuts[i]!) || cuts[i]! <= smallest!) return false
      if (i > 0 && cuts[i - 1]! >= cuts[i]!) return false
    }
    return cuts.length <= 2 * (n - 1)
  }), { numRuns: 2000 })
  t.pass()
})

t.test('key ranges: even keys split evenly; a key holding most of the bytes gets a range of its own', async t => {
  const az = [...'abcdefghijklmnopqrstuvwxyz']
  t.same(chooseSplitters(az, 2), ['n'], 'halves of 13 keys')
  t.same(chooseSplitters([...az].reverse(), 2, az.map(() => 64 << 10)), ['n'], 'in any order')
  // the hot key's blocks counted once, as a distinct key, made its range a..m and n..z the other
  const hot = [...az, ...Array.from({ length: 100 }, () => 'm')]
  t.same(chooseSplitters(hot, 2), ['m', 'n'], 'a..l, m alone, n..z')
  t.same(chooseSplitters(['a', 'b', 'b', 'b', 'b', 'b', 'b', 'b', 'b', 'c'], 2, [1, 1, 1, 1, 1, 1, 1, 1, 1, 40]), ['c'], 'by bytes: the heavy last block alone')
})

t.test('key ranges weigh a block by its groups too: a hot key\'s range takes a share of the keys of few values each', async t => {
  // 4 runs, each with the hot key h in one block of 8 MB (one group), and the keys k00..k99 in
  // blocks of 64 KB of 4000 groups each
  const blocks: Block[] = []
  for (let r = 0; r < 4; r++) {
    blocks.push([0, 'h', 8 << 20, 0, 1])
    for (let k = 0; k < 100; k++) blocks.push([0, `k${String(k).padStart(2, '0')}`, 64 << 10, 0, 4000])
  }
  const keys = blocks.map(b => b[1])
  t.same(chooseSplitters(keys, 2, blocks.map(b => b[2])), ['k00'], 'by bytes alone, the hot key is a range of its own')
  const cuts = chooseSplitters(keys, 2, blocks.map(blockWork))
  t.equal(cuts.length, 1, 'two ranges')
  const work = (from: string, to: string): number => blocks.filter(b => b[1] >= from && b[1] < to).reduce((n, b) => n + blockWork(b), 0)
  const first = work('', cuts[0]!)
  const second = work(cuts[0]!, '\uffff')
  t.ok(cuts[0]! > 'k00' && Math.abs(first - second) < 0.05 * (first + second), `h and k00..${cuts[0]} against the rest: ${first} and ${second}`)
})
