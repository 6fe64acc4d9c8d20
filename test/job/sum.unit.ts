// The built-in sum (sum.ts), as -r sum and a job of `reduce = sum, combine = sum` get it:
// whatever the order of the values and however combines grouped them (at spills, in merges,
// in a streaming combine), the result is the same float, the correctly rounded sum of all the
// values, checked against an exact reference in bigints.
import t from 'tap'
import fc from 'fast-check'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { loadJob } from '../../dist/lib/job/job.js'
import { packValue, unpackValue } from '../../dist/lib/codec/values.js'
import { exactSum as reference } from '../helpers/exact-sum.js'

const inline = await loadJob({ map: '(l, emit) => emit(l, 1)', reduce: 'sum' })
const sum = (_k: unknown, vs: unknown[]): unknown => inline.reduce!(null, vs, () => {}, { file: '', line: 0, count () {} })
const sumCombine = (_k: unknown, vs: unknown[]): unknown => inline.combine!(null, vs, () => {}, { file: '', line: 0, count () {} })

/** Floats of every size: small and large exponents, subnormals, near the range's ends. */
const floatArb = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.double({ min: -1e6, max: 1e6, noNaN: true }),
  fc.integer({ min: -1000, max: 1000 }).map(i => i / 10),
  fc.constantFrom(0.1, 0.2, 0.3, 1e16, -1e16, 1, 1e-16, 5e-324, -5e-324, 1.7976931348623157e308, -1.7976931348623157e308, 2 ** 53, -0, 0)
)

/** xs in a random order, cut into random groups. */
function grouped (xs: number[], seed: number): number[][] {
  let s = seed >>> 0
  const next = (): number => { s = (Math.imul(s, 1103515245) + 12345) >>> 0; return s >>> 8 }
  const order = xs.slice()
  for (let i = order.length - 1; i > 0; i--) {
    const j = next() % (i + 1)
    const tmp = order[i]!
    order[i] = order[j]!
    order[j] = tmp
  }
  const groups: number[][] = []
  for (let i = 0; i < order.length;) {
    const size = 1 + (next() % 5)
    groups.push(order.slice(i, i + size))
    i += size
  }
  return groups
}

/** A combine tree over the groups, as spills and merge passes make one, each term through msgpack. */
function combined (groups: number[][], seed: number): unknown[] {
  let terms: unknown[] = groups.map(g => unpackValue(packValue(sumCombine(null, g))))
  let s = seed
  while (terms.length > 1 && (s = (s * 7 + 3) % 11) % 3 !== 0) {
    const next: unknown[] = []
    for (let i = 0; i < terms.length; i += 2) next.push(unpackValue(packValue(sumCombine(null, terms.slice(i, i + 2)))))
    terms = next
  }
  return terms
}

t.test('sum is the correctly rounded sum of its values, in any order and grouping', async t => {
  fc.assert(fc.property(fc.array(floatArb, { maxLength: 40 }), fc.integer(), (xs, seed) => {
    const want = reference(xs)
    const direct = sum(null, xs) as number
    const viaCombines = sum(null, combined(grouped(xs, seed), seed)) as number
    const reversed = sum(null, xs.slice().reverse()) as number
    return Object.is(direct, want) && Object.is(viaCombines, want) && Object.is(reversed, want)
  }), { numRuns: 3000 })
  t.pass()
})

t.test('sums that plain float addition gets wrong, or gets different by order', async t => {
  const cases: Array<[number[], number]> = [
    [[0.1, 0.2, 0.3], 0.6],
    [[0.3, 0.2, 0.1], 0.6],
    [[1e16, 1, -1e16], 1],
    [[1e-16, 1, 1e16], 10000000000000002], // a tie broken by what is below it
    [[1e308, 1e308, -1e308], 1e308], // past the range on the way, not at the end
    [[1e308, 1e308], Infinity],
    [[Infinity, 1, -Infinity], NaN],
    [[-0, -0], 0], // a sum starts from 0
    [[], 0],
  ]
  for (const [xs, want] of cases) {
    t.ok(Object.is(sum(null, xs), want), `sum(${JSON.stringify(xs)}) is ${want}`)
    t.ok(Object.is(sum(null, [sumCombine(null, xs.slice(0, 1)), sumCombine(null, xs.slice(1))]), want), `through combines: ${want}`)
  }
})

t.test('arrays of numbers add up element by element, exactly, through combines', async t => {
  fc.assert(fc.property(fc.array(fc.tuple(floatArb, floatArb), { maxLength: 30 }), fc.integer(), (pairs, seed) => {
    const want = [reference(pairs.map(p => p[0])), reference(pairs.map(p => p[1]))]
    const groups = grouped(pairs.map((_, i) => i), seed).map(g => g.map(i => pairs[i]!))
    const terms = groups.map(g => unpackValue(packValue(sumCombine(null, g))))
    const got = (pairs.length === 0 ? [0, 0] : sum(null, terms)) as number[]
    return Object.is(got[0], want[0]) && Object.is(got[1], want[1])
  }), { numRuns: 1000 })
  t.pass()
})

t.test('a combined sum stays one number while it is exact', async t => {
  t.equal(sumCombine(null, [1, 2, 3]), 6, 'integers')
  t.equal(sumCombine(null, [0.5, 0.25]), 0.75, 'exact fractions')
  t.same(sumCombine(null, [[1, 2], [3, 4]]), [4, 6], 'arrays of integers')
  t.not(typeof sumCombine(null, [0.1, 0.2]), 'number', 'an inexact sum is carried exactly, not rounded')
})

t.test('a job file whose reduce and combine are sum gets the exact pair; with a reduce of its own, numbers', async t => {
  const dir = t.testdir()
  writeFileSync(join(dir, 'both.mjs'), "import { sum } from 'mrstream'\nexport const map = (l, emit) => emit(l, Number(l))\nexport const reduce = sum\nexport const combine = sum\n")
  writeFileSync(join(dir, 'own.mjs'), "import { sum } from 'mrstream'\nexport const map = (l, emit) => emit(l, Number(l))\nexport const reduce = (k, vs) => { let n = 0; for (const v of vs) n += v; return n }\nexport const combine = sum\n")
  const ctx = { file: '', line: 0, count () {} }
  const both = await loadJob({ file: join(dir, 'both.mjs') })
  const terms = [both.combine!(null, [0.1, 0.2], () => {}, ctx), both.combine!(null, [0.3], () => {}, ctx)]
  t.equal(both.reduce!(null, terms, () => {}, ctx), 0.6)
  const own = await loadJob({ file: join(dir, 'own.mjs') })
  t.equal(own.combine!(null, [0.1, 0.2], () => {}, ctx), 0.1 + 0.2, 'a number for the job\'s own reduce')
})

t.test('anything but numbers or arrays of numbers of one length is an error', async t => {
  t.throws(() => sum(null, [1, 'x']), /sum: .* among numbers/)
  t.throws(() => sum(null, [1, [1]]), /sum: .* among numbers/)
  t.throws(() => sum(null, [[1], 2]), /among arrays of 1 numbers/)
  t.throws(() => sum(null, [[1], [1, 2]]), /among arrays of 1 numbers/)
  t.throws(() => sum(null, [[1, 'x']]), /has an element that is not a number/)
  t.throws(() => sumCombine(null, [0.1, 0.2, null]), /sum: .* among numbers/)
})
