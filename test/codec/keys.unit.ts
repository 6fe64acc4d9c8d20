// keys.ts: the encoding's byte order is the key order of docs/semantics.md, and it round-trips.
import t from 'tap'
import fc from 'fast-check'
import { encodeKey, decodeKey, groupEnd, hashEkey } from '../../dist/lib/codec/keys.js'

type K = null | boolean | number | string | K[]

const typeRank = (k: K): number => k === null ? 0 : k === false ? 1 : k === true ? 2 : typeof k === 'number' ? 3 : typeof k === 'string' ? 4 : 5

function cmpCodePoints (a: string, b: string): number {
  const x = [...a].map(c => c.codePointAt(0)!)
  const y = [...b].map(c => c.codePointAt(0)!)
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! < y[i]! ? -1 : 1
  return x.length - y.length
}

/** docs/semantics.md, written out directly: the reference the encoding must agree with. */
function compare (a: K, b: K): number {
  const ra = typeRank(a)
  const rb = typeRank(b)
  if (ra !== rb) return Math.sign(ra - rb)
  if (typeof a === 'number') return a === b ? 0 : a < (b as number) ? -1 : 1
  if (typeof a === 'string') return Math.sign(cmpCodePoints(a, b as string))
  if (Array.isArray(a)) {
    const bb = b as K[]
    for (let i = 0; i < Math.min(a.length, bb.length); i++) {
      const c = compare(a[i]!, bb[i]!)
      if (c !== 0) return c
    }
    return Math.sign(a.length - bb.length)
  }
  return 0
}

const str = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 6 }),
  fc.string({ unit: fc.constantFrom('a', 'b', '\0', '\x01', '\uffff', '\ue000', '\u{10000}', '\u{1f600}', 'é'), maxLength: 5 })
)
const key: fc.Arbitrary<K> = fc.letrec(tie => ({
  k: fc.oneof({ depthSize: 'small', withCrossShrink: true },
    fc.constant(null), fc.boolean(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer(), str,
    fc.array(tie('k'), { maxLength: 4 })),
})).k as fc.Arbitrary<K>

const bytewise = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)

t.test('encoded keys compare like docs/semantics.md keys', async t => {
  fc.assert(fc.property(key, key, (a, b) => bytewise(encodeKey(a), encodeKey(b)) === compare(a, b)), { numRuns: 5000, seed: 42 })
  t.pass('5000 random pairs agree')
})

t.test('keys round-trip (with -0 as 0)', async t => {
  fc.assert(fc.property(key, k => {
    const back = decodeKey(encodeKey(k))
    return JSON.stringify(back) === JSON.stringify(k) && encodeKey(back) === encodeKey(k)
  }), { numRuns: 3000, seed: 7 })
  t.pass('3000 random keys round-trip')
})

t.test('the cases STYLE.md warns about', async t => {
  const order: K[] = [null, false, true, -1e300, -1, 0, 1e-300, 1, 2, 10, 1e300, '', '\0', '1', 'a', 'a\0', 'ab', '\ue000', '\uffff', '\u{10000}', '\u{1f600}', [], [null], ['a'], ['a', null], ['b'], [[]]]
  for (let i = 1; i < order.length; i++) {
    t.ok(encodeKey(order[i - 1]) < encodeKey(order[i]), `${JSON.stringify(order[i - 1])} < ${JSON.stringify(order[i])}`)
  }
  t.equal(encodeKey(-0), encodeKey(0), '-0 and 0 are one key')
  t.not(encodeKey(1), encodeKey('1'), '1 and "1" are different keys')
  for (const k of ['__proto__', 'constructor', 'toString']) t.same(decodeKey(encodeKey(k)), k, `${k} is an ordinary key`)
})

t.test('unsupported keys are refused', async t => {
  for (const bad of [undefined, NaN, Infinity, -Infinity, {}, () => 1, Symbol('s'), 1n, new Date(0), ['ok', {}], '\ud800']) {
    t.throws(() => encodeKey(bad), { name: 'KeyError' }, `${String(typeof bad)} ${String(bad?.toString?.() ?? bad)}`)
  }
})

t.test('arrays nest 1000 deep; deeper, or an array holding itself, is refused', async t => {
  const nest = (n: number): K => { let k: K = 'x'; for (let i = 0; i < n; i++) k = [k]; return k }
  t.same(decodeKey(encodeKey(nest(1000))), nest(1000), '1000 deep round-trips')
  t.ok(encodeKey(nest(999)) < encodeKey(nest(1000)), 'and sorts after a shallower one')
  t.throws(() => encodeKey(nest(1002)), /more than 1000 deep/)
  const cyclic: K[] = []
  cyclic.push(cyclic)
  t.throws(() => encodeKey(cyclic), /holds itself/)
})

t.test('hash is stable', async t => {
  t.equal(hashEkey(encodeKey('hello')), hashEkey(encodeKey('hello')))
  t.equal(hashEkey(''), 0x811c9dc5)
})

t.test('a group prefix is found in a cut ekey only when the cut leaves it whole', async t => {
  // (a run's index keeps a long key's first bytes: run-format.ts; key ranges under groupBy are
  // cut at group prefixes found in them)
  fc.assert(fc.property(fc.array(key, { minLength: 1, maxLength: 4 }), fc.integer({ min: 1, max: 3 }), (k, n) => {
    const ekey = encodeKey(k)
    const whole = groupEnd(ekey, n)
    for (let cut = 0; cut <= ekey.length; cut++) {
      const end = groupEnd(ekey.slice(0, cut), n)
      if (end !== (whole !== -1 && whole <= cut ? whole : -1)) return false
    }
    return true
  }), { numRuns: 3000 })
  t.pass()
})
