// run-file.ts: what a run holds reads back exactly (the hand-written msgpack fast path
// included), range reads start at the right block, and damage is detected.
import t from 'tap'
import fc from 'fast-check'
import { isDeepStrictEqual } from 'node:util'
import { mkdtempSync, readFileSync, rmSync, writeFileSync, truncateSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { INDEX_KEY_BYTES, RunWriter, RunReader, readFooter } from '../../dist/lib/runs/run-file.js'
import { decodeKey, encodeKey } from '../../dist/lib/codec/keys.js'
import { packValue, unpackValue } from '../../dist/lib/codec/values.js'

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

t.test('arrays of numbers (written and read without msgpackr) round-trip, and msgpackr reads them too', async t => {
  const edges = fc.constantFrom(0, -0, 127, 128, -32, -33, -128, -129, -32768, -32769, 65535, 65536, 2 ** 32 - 1, 2 ** 32, NaN, Infinity, -Infinity)
  const number = fc.oneof(fc.integer(), fc.integer({ min: -0x80000001, max: 0x100000001 }), fc.double(), edges)
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

t.test('string and byte-range keys are written as their encoding, NULs escaped, blocks indexed', async t => {
  // the writer's three ways to start a group must give identical files
  const key = fc.string({ unit: fc.constantFrom('\0', 'a', 'z', '\u00e9', '\u20ac', '\u{1f600}', 'x'.repeat(50)), maxLength: 6 })
  fc.assert(fc.property(fc.uniqueArray(key, { minLength: 1, maxLength: 3000 }), fc.nat(), (keys, seed) => {
    const sorted = keys.map(k => encodeKey(k)).sort()
    const strings = sorted.map(e => decodeKey(e) as string)
    const write = (start: (w: RunWriter, k: string, i: number) => void): Buffer => {
      const p = path()
      const w = new RunWriter(p, 'spill')
      strings.forEach((k, i) => { start(w, k, i); w.value(i + seed) })
      w.close()
      return readFileSync(p)
    }
    const bytes = Buffer.from(strings.join(''), 'utf8')
    const ends: number[] = []
    let at = 0
    for (const k of strings) ends.push(at += Buffer.byteLength(k))
    const byEkey = write((w, k, i) => w.startGroup(sorted[i]!, 1))
    const byString = write((w, k) => w.startStringGroup(k, 1))
    const byBytes = write((w, k, i) => w.startBytesGroup(bytes, i === 0 ? 0 : ends[i - 1]!, ends[i]!, 1))
    return byEkey.equals(byString) && byEkey.equals(byBytes)
  }), { numRuns: 60, seed: 5 })
  t.pass()
})

function bigRun (): { p: string, keys: string[] } {
  const p = path()
  const w = new RunWriter(p, 'spill')
  const keys: string[] = []
  for (let i = 0; i < 20000; i++) {
    const k = encodeKey(`key${String(i).padStart(6, '0')}`)
    keys.push(k)
    w.startGroup(k, 2)
    w.value(i)
    w.value('some value text to fill blocks')
  }
  w.close()
  return { p, keys }
}

t.test('blocks index the run; a reader can start at any block', async t => {
  const { p, keys } = bigRun()
  const f = readFooter(p)
  t.ok(f.blocks.length > 5, `${f.blocks.length} blocks`)
  t.equal(f.groups, 20000)
  t.equal(f.values, 40000)
  const b = 3
  const r = new RunReader(p, f, b)
  t.ok(r.nextGroup())
  t.equal(r.key, f.blocks[b]![1], 'first group of a block is its indexed key')
  t.equal(keys.indexOf(r.key) > 0, true)
  r.close()
})

t.test('truncation and corruption are detected', async t => {
  const { p } = bigRun()
  const size = statSync(p).size
  const truncated = path()
  writeFileSync(truncated, readFileSync(p))
  truncateSync(truncated, size - 100)
  t.throws(() => readFooter(truncated), { code: 'MRS_ERR_RUN_CORRUPT' }, 'truncated: no trailer')

  const flipped = path()
  const bytes = readFileSync(p)
  bytes[5000] = bytes[5000]! ^ 0x55
  writeFileSync(flipped, bytes)
  t.throws(() => {
    const r = new RunReader(flipped, readFooter(flipped))
    while (r.nextGroup()) while (r.left > 0) r.nextValue()
  }, { code: 'MRS_ERR_RUN_CORRUPT' }, 'a flipped byte fails its block CRC')
})

t.test('keys and values over 256 KB are written from where they are, read back exactly, and sized in the footer', async t => {
  // a key's characters: NULs (escaped), non-ASCII, ASCII; long enough to pass 256 KB
  const big = (c: string, n: number): string => c.repeat(n)
  const keys = [big('a', 300_000) + '\0' + 'b', big('a\0', 150_001), big('é', 140_000), big('k', 262_140)]
    .sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))
  const values: unknown[] = [big('v', 300_000), 'small', big('\u{1f600}', 70_000), { list: [big('w', 280_000)] }, 7]
  const write = (start: (w: RunWriter, k: string) => void): { bytes: Buffer, held: number, info: ReturnType<RunWriter['close']> } => {
    const p = path()
    const w = new RunWriter(p, 'spill')
    for (const k of keys) { start(w, k); for (const v of values) w.value(v) }
    const held = (w as unknown as { buf: Buffer }).buf.length
    const info = w.close()
    return { bytes: readFileSync(p), held, info }
  }
  const byEkey = write((w, k) => w.startGroup(encodeKey(k), values.length))
  const byString = write((w, k) => w.startStringGroup(k, values.length))
  const byBytes = write((w, k) => { const b = Buffer.from(k, 'utf8'); w.startBytesGroup(b, 0, b.length, values.length) })
  const byEkeyBytes = write((w, k) => { const b = Buffer.from(encodeKey(k), 'latin1'); w.startEkeyGroup(b, 0, b.length, values.length) })
  t.ok(byEkey.bytes.equals(byString.bytes) && byEkey.bytes.equals(byBytes.bytes) && byEkey.bytes.equals(byEkeyBytes.bytes), 'the four ways to start a group write the same file')
  for (const w of [byEkey, byString, byBytes, byEkeyBytes]) t.equal(w.held, 1 << 20, 'the write buffer kept its size')
  t.same(byEkey.info.sizes, { key: Math.max(...keys.map(k => encodeKey(k).length)), value: Math.max(...values.map(v => packValue(v).length)) }, 'the footer holds the longest key and value')
  t.ok(byEkey.info.blocks.every(b => b[1].length <= INDEX_KEY_BYTES), 'index keys are cut')
  const p = byEkey.info.path
  const r = new RunReader(p, readFooter(p), 0, 4096)
  try {
    for (const k of keys) {
      t.ok(r.nextGroup())
      t.equal(r.decodedKey(), k)
      for (const v of values) {
        t.same(r.nextValue(), v)
        // a buffer grown for a large value goes back to its size for the small ones after it
        if (v === 'small') t.equal((r as unknown as { buf: Buffer }).buf.length, 4096, 'the read buffer went back to its size')
      }
    }
    t.notOk(r.nextGroup())
  } finally { r.close() }
})
