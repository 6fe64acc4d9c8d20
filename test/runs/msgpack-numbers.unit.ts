// msgpack-numbers.ts: numbers are written byte for byte as msgpackr writes them and read as it
// reads them; arrays of numbers round-trip through a run, and msgpackr reads them too.
import t from 'tap'
import fc from 'fast-check'
import { isDeepStrictEqual } from 'node:util'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pack } from 'msgpackr'
import { framedEnd, msgpackNumber, readFramedInts, readNumber } from '../../dist/lib/runs/msgpack-numbers.js'
import { readFooter } from '../../dist/lib/runs/run-format.js'
import { RunReader } from '../../dist/lib/runs/run-reader.js'
import { RunWriter } from '../../dist/lib/runs/run-writer.js'
import { encodeKey } from '../../dist/lib/codec/keys.js'
import { packValue, unpackValue } from '../../dist/lib/codec/values.js'

const dir = mkdtempSync(join(tmpdir(), 'mrstream-test-run-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))
let n = 0
const path = (): string => join(dir, `r${n++}.run`)

const edges = fc.constantFrom(0, -0, 127, 128, -32, -33, -128, -129, -32768, -32769, 65535, 65536, 2 ** 32 - 1, 2 ** 32, NaN, Infinity, -Infinity)
const number = fc.oneof(fc.integer(), fc.integer({ min: -0x80000001, max: 0x100000001 }), fc.double(), edges)

t.test('a number is written as msgpackr packs it and read back as itself', async t => {
  const b = Buffer.alloc(16)
  fc.assert(fc.property(number.filter(v => !Object.is(v, -0)), v => {
    const end = msgpackNumber(b, 1, v)
    if (!b.subarray(1, end).equals(pack(v))) return false
    return Object.is(readNumber(b, 1, end), v) && readNumber(b, 1, end - 1) === undefined
  }), { numRuns: 1000, seed: 13 })
  t.pass()
})

t.test('arrays of numbers (written and read without msgpackr) round-trip, and msgpackr reads them too', async t => {
  const array = fc.oneof(
    fc.array(number, { maxLength: 14 }),
    fc.tuple(fc.array(number, { maxLength: 5 }), fc.oneof(fc.string(), fc.constant(null), fc.constant([1]))).map(([a, x]) => [...a, x])
  )
  fc.assert(fc.property(fc.array(array, { minLength: 1, maxLength: 20 }), arrays => {
    const p = path()
    const w = new RunWriter(p, 'spill')
    w.startGroup(encodeKey('k'), 2 * arrays.length)
    for (const a of arrays) { w.value(a); w.value(a) }
    w.close()
    const r = new RunReader(p, readFooter(p))
    r.nextGroup()
    for (const a of arrays) {
      if (!isDeepStrictEqual(r.nextValue(), a)) return false
      if (!isDeepStrictEqual(unpackValue(r.nextValueBytes()), a)) return false
    }
    r.close()
    return true
  }), { numRuns: 300, seed: 5 })
})

t.test('framed integers read a batch at a time are the values read one by one, up to the first other value', async t => {
  const int32Edges = fc.constantFrom(2 ** 31 - 1, -(2 ** 31), 2 ** 31, -(2 ** 31) - 1)
  const value = fc.oneof(number, int32Edges, fc.string({ maxLength: 3 }), fc.constant(null), fc.constant([1, 2]))
  fc.assert(fc.property(fc.array(value, { maxLength: 40 }), fc.nat(), fc.nat({ max: 50 }), (values, cut, most) => {
    // each value as a run frames it: a one-byte length, then msgpack (-0 as values.ts packs it)
    const frames = values.map(v => {
      const b = Buffer.alloc(9)
      const packed = typeof v === 'number' && !Object.is(v, -0) ? b.subarray(0, msgpackNumber(b, 0, v)) : packValue(v)
      return Buffer.concat([Buffer.from([packed.length]), packed])
    })
    const b = Buffer.concat([Buffer.from([7]), ...frames]) // (a byte before, so reads start at 1)
    const end = 1 + cut % (b.length)
    const out = new Int32Array(64).fill(12345)
    const n = readFramedInts(b, 1, end, out, most)
    // the values read are the longest run of Int32 integers (not -0) from the first, whole by `end`, at most `most`
    let want = 0
    let at = 1
    while (want < Math.min(most, values.length)) {
      const v = values[want]
      if (!(typeof v === 'number' && Number.isInteger(v) && !Object.is(v, -0) && v >= -(2 ** 31) && v < 2 ** 31) || at + frames[want]!.length > end) break
      at += frames[want]!.length
      want++
    }
    if (n !== want || framedEnd() !== at) return false
    for (let i = 0; i < n; i++) if (out[i] !== values[i]) return false
    return out[n] === 12345 || n === 64
  }), { numRuns: 2000, seed: 17 })
  t.pass()
})
