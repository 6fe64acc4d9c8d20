// run-reader.ts: what a run holds reads back exactly, key by key and value by value, whatever
// the reader's buffer size.
import t from 'tap'
import fc from 'fast-check'
import { isDeepStrictEqual } from 'node:util'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { readFooter } from '../../dist/lib/runs/run-format.js'
import { RunReader } from '../../dist/lib/runs/run-reader.js'
import { RunWriter } from '../../dist/lib/runs/run-writer.js'
import { decodeKey, encodeKey } from '../../dist/lib/codec/keys.js'

const dir = mkdtempSync(join(tmpdir(), 'mrstream-test-run-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))
let n = 0
const path = (): string => join(dir, `r${n++}.run`)

const value = fc.oneof(
  fc.integer(),
  fc.integer({ min: -0x80000001, max: 0x100000001 }),
  fc.constantFrom(0, -0, 127, 128, 255, 256, 65535, 65536, -32, -33, -128, -129, -32768, -32769),
  fc.constantFrom(2 ** 31, 2 ** 32 - 1, 2 ** 32, NaN, Infinity, -Infinity, 2 ** 53 + 2),
  fc.double(), fc.string({ unit: 'grapheme', maxLength: 40 }), fc.string({ minLength: 250, maxLength: 300 }), fc.constant('x'.repeat(70000)),
  fc.constant(null),
  fc.boolean(),
  fc.constant(undefined),
  fc.bigInt(),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.dictionary(fc.string(), fc.integer(), { maxKeys: 3 }).map(d => ({ ...d }))
)

t.test('values round-trip through a run', async t => {
  fc.assert(fc.property(fc.array(fc.array(value, { minLength: 1, maxLength: 5 }), { maxLength: 30 }), groups => {
    const p = path()
    const w = new RunWriter(p, 'spill')
    groups.forEach((vs, i) => { w.startGroup(encodeKey(i), vs.length); for (const v of vs) w.value(v) })
    w.close()
    const r = new RunReader(p, readFooter(p))
    for (let i = 0; i < groups.length; i++) {
      if (!r.nextGroup() || r.key !== encodeKey(i) || r.left !== groups[i]!.length) return false
      for (const v of groups[i]!) {
        const back = r.nextValue()
        if (typeof v === 'number' ? !Object.is(back, v) : !isDeepStrictEqual(back, v)) return false
      }
    }
    const more = r.nextGroup()
    r.close()
    return !more
  }), { numRuns: 300, seed: 3 })
  t.pass('300 random runs read back exactly')
})

t.test('a group key reads the same before and after its values, also once they moved the buffer', async t => {
  // (the reader keeps a key as bytes in its buffer, as a string only once asked for)
  const key = fc.oneof(fc.string({ unit: fc.constantFrom('\0', 'a', '\u00e9', '\u{1f600}'), maxLength: 300 }), fc.integer(), fc.constant(null), fc.array(fc.string(), { maxLength: 3 }))
  const keysArb = fc.uniqueArray(key, { minLength: 1, maxLength: 8, selector: k => encodeKey(k) })
  fc.assert(fc.property(keysArb, fc.array(value, { minLength: 1, maxLength: 40 }), fc.integer({ min: 16, max: 4096 }), (keys, vs, bufferBytes) => {
    const ekeys = keys.map(encodeKey).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    const p = path()
    const w = new RunWriter(p, 'spill')
    for (const k of ekeys) { w.startGroup(k, vs.length); for (const v of vs) w.value(v) }
    w.close()
    const r = new RunReader(p, readFooter(p), 0, bufferBytes)
    try {
      for (const k of ekeys) {
        if (!r.nextGroup()) return false
        if (!isDeepStrictEqual(r.decodedKey(), decodeKey(k))) return false
        for (let i = 0; i < vs.length; i++) r.nextValue()
        if (r.key !== k) return false
      }
      return !r.nextGroup() && r.key === ''
    } finally {
      r.close()
    }
  }), { numRuns: 300, seed: 11 })
  t.pass()
})
