// protocol.ts: a pair's protocol line reads back as the same key and value, a key with groupBy
// as GROUP<TAB>ORDER too, and byte order of key texts is key order within a group.
import t from 'tap'
import fc from 'fast-check'
import { isDeepStrictEqual } from 'node:util'
import { encodeKey } from '../../dist/lib/codec/keys.js'
import { pairLine, parseGroupedKey, parseKey, parseValue, splitLine } from '../../dist/lib/streaming/protocol.js'

const scalarKey = fc.oneof(fc.string({ unit: fc.constantFrom('a', '\t', '\n', '\0', '\u00e9', '\u{1f600}', '"'), maxLength: 6 }), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.constant(null))
const key = fc.oneof(scalarKey, fc.array(scalarKey, { minLength: 1, maxLength: 3 }))
const value = fc.oneof(fc.anything({ maxDepth: 2 }), fc.double(), fc.constant(-0), fc.bigInt(), fc.constant(undefined), fc.date({ noInvalidDate: true }))
const same = (a: unknown, b: unknown): boolean => typeof a === 'number' ? Object.is(a, b) : isDeepStrictEqual(a, b)
// a key -0 is the key 0 (keys are compared by their encoding, docs/semantics.md)
const keyOf = (k: unknown): unknown => Array.isArray(k) ? k.map(keyOf) : Object.is(k, -0) ? 0 : k

t.test('a pair line reads back as its key and value', async t => {
  let lines = 0
  fc.assert(fc.property(key, value, (k, v) => {
    let line: string
    try { line = pairLine(k, v) } catch { return true } // (a value the engine refuses)
    lines++
    if (!line.endsWith('\n') || line.slice(0, -1).includes('\n')) return false
    const parts = splitLine(line.slice(0, -1))
    if (typeof parts === 'string') return false
    return same(parseKey(parts.keyText), keyOf(k)) && same(parseValue(parts.valueText), v)
  }), { numRuns: 500, seed: 17 })
  t.ok(lines > 400, `${lines} of 500 pairs were lines`)
})

t.test('with groupBy, GROUP<TAB>ORDER reads back as the key, and sorts as the key does', async t => {
  const grouped = fc.tuple(scalarKey, scalarKey, fc.array(scalarKey, { maxLength: 2 })).map(([a, b, rest]) => [a, b, ...rest])
  let compared = 0
  fc.assert(fc.property(grouped, grouped, fc.integer({ min: 1, max: 2 }), fc.boolean(), (a, b0, groupBy, share) => {
    const b = share ? [...a.slice(0, groupBy), ...b0.slice(groupBy)] : b0
    const fields = (k: unknown[]): [string, string] => {
      const [group, order] = pairLine(k, 0, groupBy).split('\t') as [string, string]
      return [group, order]
    }
    const [ga, oa] = fields(a)
    const [gb, ob] = fields(b)
    if (encodeKey(parseGroupedKey(ga, oa, groupBy)) !== encodeKey(a)) return false
    if (ga !== gb) return true
    compared++
    const byText = Buffer.compare(Buffer.from(ga + '\t' + oa), Buffer.from(gb + '\t' + ob))
    const byKey = encodeKey(a) < encodeKey(b) ? -1 : encodeKey(a) > encodeKey(b) ? 1 : 0
    return byText === byKey
  }), { numRuns: 300, seed: 19 })
  t.ok(compared > 100, `${compared} of 300 pairs of keys shared their group`)
})
