// run-writer.ts: every way of starting a group writes the same bytes, and keys and values over
// 256 KB are written from where they are.
import t from 'tap'
import fc from 'fast-check'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { INDEX_KEY_BYTES, readFooter } from '../../dist/lib/runs/run-format.js'
import { RunReader } from '../../dist/lib/runs/run-reader.js'
import { RunWriter } from '../../dist/lib/runs/run-writer.js'
import { decodeKey, encodeKey } from '../../dist/lib/codec/keys.js'
import { packValue } from '../../dist/lib/codec/values.js'

const dir = mkdtempSync(join(tmpdir(), 'mrstream-test-run-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))
let n = 0
const path = (): string => join(dir, `r${n++}.run`)

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

t.test('each block counts the groups that start in it', async t => {
  let most = 0
  // groups started each way: by string, by UTF-8 bytes, by ekey bytes (a merge's), by ekey
  fc.assert(fc.property(fc.array(fc.tuple(fc.nat({ max: 600 }), fc.nat({ max: 3 })), { minLength: 1, maxLength: 400, size: 'max' }), groups => {
    const p = path()
    const w = new RunWriter(p, 'spill')
    groups.forEach(([s, how], i) => {
      const key = `k${String(i).padStart(4, '0')}`
      const utf8 = Buffer.from(key)
      const ekey = Buffer.from(encodeKey(key), 'latin1')
      if (how === 0) w.startStringGroup(key, 1)
      else if (how === 1) w.startBytesGroup(utf8, 0, utf8.length, 1)
      else if (how === 2) w.startEkeyGroup(ekey, 0, ekey.length, 1)
      else w.startGroup(encodeKey(key), 1)
      w.value('v'.repeat(10 * s))
    })
    const info = w.close()
    if (info.blocks.reduce((n, b) => n + b[4], 0) !== groups.length) return false
    for (let i = 0; i < info.blocks.length; i++) {
      // the groups read from block i on are those of blocks i and after
      const r = new RunReader(p, readFooter(p), i)
      let n = 0
      try { while (r.nextGroup()) n++ } finally { r.close() }
      if (n !== info.blocks.slice(i).reduce((m, b) => m + b[4], 0)) return false
    }
    most = Math.max(most, info.blocks.length)
    return true
  }), { numRuns: 30, seed: 3 })
  t.ok(most > 3, `runs of up to ${most} blocks`)
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

t.test('a value repeated (repeated, sharedGroup) writes the bytes value() writes, as many times, however many', async t => {
  // (many copies are written by one fill, a few by a loop; more than a quarter of the write
  // buffer in parts)
  const v = fc.oneof(fc.constantFrom(1, 0, -0, 300, 1.5, -7, 2 ** 40, '', null, true, false), fc.string({ maxLength: 31 }))
  const count = fc.oneof(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 1000, max: 140_000 }))
  fc.assert(fc.property(v, count, fc.boolean(), (value, times, shared) => {
    const p1 = path()
    const p2 = path()
    const one = new RunWriter(p1, 'spill')
    one.startGroup(encodeKey('k'), times)
    for (let i = 0; i < times; i++) one.value(value)
    one.close()
    const many = new RunWriter(p2, 'spill')
    if (shared) {
      const framed = many.framed(value)!
      const key = Buffer.from('k')
      many.sharedGroup(key, 0, key.length, times, framed)
    } else {
      many.startGroup(encodeKey('k'), times)
      many.repeated(value, times)
    }
    many.close()
    return readFileSync(p1).equals(readFileSync(p2))
  }), { numRuns: 60, seed: 9 })
  t.pass()
})
