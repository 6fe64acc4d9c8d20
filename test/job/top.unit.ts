// top(n): the n greatest values of a key, greatest first, whatever subsets its combiner saw.
import t from 'tap'
import fc from 'fast-check'
import { top } from '../../dist/lib/job/job.js'
import { compareKeys, type Key } from '../oracle.js'

const valueArb: fc.Arbitrary<Key> = fc.oneof(
  fc.integer({ min: -20, max: 20 }),
  fc.tuple(fc.integer({ min: 0, max: 5 }), fc.constantFrom('a', 'b', 'é', '😀', 'z')),
  fc.constantFrom('x', 'y', null, true)
)

/** What reduce emits for `values`, combined first in the chunks `cuts` makes (as spills would). */
function run (n: number, values: Key[], cuts: number[]): Key[] {
  const { combine, reduce } = top(n)
  const combined: Key[] = []
  let from = 0
  for (const cut of [...cuts.map(c => c % (values.length + 1)).sort((a, b) => a - b), values.length]) {
    combine('k', values.slice(from, Math.max(from, cut)), (_k, v) => { combined.push(v as Key) }, { file: '', line: 0, count () {} })
    from = Math.max(from, cut)
  }
  const out: Key[] = []
  reduce('k', combined, (_k, v) => { out.push(v as Key) }, { file: '', line: 0, count () {} })
  return out
}

t.test('the n greatest, greatest first, however the values were combined', async t => {
  fc.assert(fc.property(fc.integer({ min: 1, max: 6 }), fc.array(valueArb, { maxLength: 40 }), fc.array(fc.nat(), { maxLength: 5 }), (n, values, cuts) => {
    const want = [...values].sort((a, b) => compareKeys(b, a)).slice(0, n)
    t.strictSame(run(n, values, cuts), want)
  }), { numRuns: 500 })
})

t.test('n is checked; values that have no order are named', async t => {
  t.throws(() => top(0), /top\(n\): n must be a whole number >= 1/)
  t.throws(() => top(1.5), /n must be a whole number/)
  t.throws(() => run(2, [1, { a: 1 } as unknown as Key, 2], []), /top: .* cannot be ordered/)
})
