// plan.ts's merge plan: each pass covers every run in order with groups of consecutive runs,
// no group over the fan-in; passes end with at most fan-in runs, and when one partial pass is
// enough, it merges only as many runs as needed to leave exactly fan-in.
import t from 'tap'
import fc from 'fast-check'
import { mergeGroups } from '../../dist/lib/exec/plan.js'

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
