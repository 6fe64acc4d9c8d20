// values.ts: a value read back from a spill is indistinguishable from the original (docs/semantics.md).
import t from 'tap'
import { isDeepStrictEqual } from 'node:util'
import { packValue, unpackValue } from '../../dist/lib/codec/values.js'

const roundTrip = (v: unknown): unknown => unpackValue(Buffer.from(packValue(v)))

t.test('every value type of docs/semantics.md survives', async t => {
  const proto = JSON.parse('{"__proto__": {"x": 1}, "a": [1, -0]}')
  const cases: unknown[] = [undefined, null, true, false, 0, -0, NaN, Infinity, -Infinity, 1.5, 2 ** 53 + 2, -(2 ** 40), 5n, -5n, 2n ** 80n,
    '', 'str', '\0', '\u{1f600}', new Date(12345), new Uint8Array([1, 2, 3]), Buffer.from('ab'), [1, [2, [undefined, null]]],
    { a: 1, b: { c: [1] } }, { x: undefined }, proto, new Map<unknown, unknown>([[1, 'a'], ['b', { c: -0 }]]), new Set([1, 'x', [2]]),
    { constructor: 1, toString: 'no' }, [-0, { v: -0 }]]
  for (const v of cases) {
    const back = roundTrip(v)
    t.ok(isDeepStrictEqual(back, v), `${typeof v} ${String(v instanceof Map ? 'Map' : JSON.stringify(v, (_k, x) => typeof x === 'bigint' ? String(x) : x))}`)
    if (typeof v === 'number') t.ok(Object.is(back, v), 'Object.is for numbers (-0, NaN)')
  }
  const back = roundTrip(proto) as Record<string, unknown>
  t.ok(Object.hasOwn(back, '__proto__'), 'own __proto__ stays an own key')
  t.equal(Object.getPrototypeOf(back), Object.prototype, 'prototype not replaced')
  t.equal(({} as Record<string, unknown>).x, undefined, 'no prototype pollution')
  t.ok(roundTrip(Buffer.from('x')) instanceof Buffer, 'Buffer stays Buffer')
  t.ok(roundTrip(new Map()) instanceof Map, 'Map stays Map')
  const bare = Object.assign(Object.create(null) as Record<string, unknown>, { a: 1, toString: 'x', in: { b: -0 } })
  Object.defineProperty(bare, '__proto__', { value: 2, enumerable: true, writable: true, configurable: true })
  for (const v of [bare, { nested: [bare] }]) t.ok(isDeepStrictEqual(roundTrip(v), v), 'an object without a prototype stays one')
})

t.test('values msgpack cannot carry are refused, not changed', async t => {
  class Point { x = 1 }
  for (const bad of [() => 1, Symbol('s'), new Point(), '\ud800', [1, '\udc00'], new Float64Array(2), { f () {} }, { [Symbol('s')]: 1 }]) {
    t.throws(() => packValue(bad), { name: 'ValueError' }, String(typeof bad))
  }
  const cyclic: Record<string, unknown> = {}
  cyclic.self = cyclic
  t.throws(() => packValue(cyclic), { name: 'ValueError' }, 'cycles')
  // eslint-disable-next-line no-sparse-arrays
  for (const sparse of [[1, , 3], { a: new Array(3) }]) t.throws(() => packValue(sparse), /sparse array/, 'holes are not filled in')
})
