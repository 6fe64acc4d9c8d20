// bytes.ts: the 4-bytes-at-a-time scans, copies and comparisons agree with a
// byte at a time, for any bytes, any alignment, and NULs or characters tsv escapes anywhere
// (also beside 0x80-0xff bytes, which the bit tricks must not mistake for them).
import t from 'tap'
import fc from 'fast-check'
import { ASCII, HAS_NUL, LineBuffer, NON_ASCII, compareBytes, copyBytes, copyWithoutNul, textKind, viewOf } from '../../dist/lib/codec/bytes.js'

// bytes near the ones the tricks look for: 0, 9, 10, 13, 14, 92 and their neighbours, the
// high-bit ones, and any byte
const byte = fc.oneof(fc.constantFrom(0, 1, 8, 9, 10, 11, 12, 13, 14, 91, 92, 93, 0x7f, 0x80, 0x8e, 0xdc, 0xff), fc.integer({ min: 0, max: 255 }))
const bytes = fc.array(byte, { maxLength: 40 })

t.test('copyWithoutNul copies what has no NUL, and says when there is one', async t => {
  fc.assert(fc.property(bytes, fc.nat(7), fc.nat(7), (a, pad, at) => {
    const src = Buffer.alloc(pad + a.length + 3, 0xaa)
    src.set(a, pad)
    const dst = Buffer.alloc(at + a.length + 3, 0x55)
    const ok = copyWithoutNul(viewOf(src), pad, pad + a.length, viewOf(dst), at)
    if (ok !== !a.includes(0)) return false
    if (!ok) return true
    return dst.subarray(at, at + a.length).equals(Buffer.from(a)) && dst[at + a.length] === 0x55 && (at === 0 || dst[at - 1] === 0x55)
  }), { numRuns: 3000 })
  t.pass()
})

t.test('textKind: HAS_NUL exactly when a byte is 0, else NON_ASCII exactly when one is over 0x7f', async t => {
  fc.assert(fc.property(bytes, fc.nat(7), fc.constantFrom(0, 0x80, 0xff), (a, pad, around) => {
    const b = Buffer.alloc(pad + a.length + 3, around) // outside the range, never seen
    b.set(a, pad)
    const want = a.includes(0) ? HAS_NUL : a.some(c => c > 0x7f) ? NON_ASCII : ASCII
    return textKind(viewOf(b), pad, pad + a.length) === want
  }), { numRuns: 3000 })
  t.pass()
})

t.test('copyBytes copies any bytes, and nothing around them', async t => {
  fc.assert(fc.property(bytes, fc.nat(7), fc.nat(7), (a, pad, at) => {
    const src = Buffer.alloc(pad + a.length + 3, 0xaa)
    src.set(a, pad)
    const dst = Buffer.alloc(at + a.length + 3, 0x55)
    copyBytes(viewOf(src), pad, pad + a.length, viewOf(dst), at)
    return dst.subarray(at, at + a.length).equals(Buffer.from(a)) && dst[at + a.length] === 0x55 && (at === 0 || dst[at - 1] === 0x55)
  }), { numRuns: 3000 })
  t.pass()
})

t.test('compareBytes orders as Buffer.compare does, at any alignment', async t => {
  // pairs that often share a prefix, so that words and tails both decide
  const pair = fc.tuple(bytes, bytes, bytes).map(([p, x, y]) => [[...p, ...x], [...p, ...y]] as const)
  fc.assert(fc.property(pair, fc.nat(7), fc.nat(7), ([x, y], px, py) => {
    const a = Buffer.alloc(px + x.length + 5, 0xff)
    a.set(x, px)
    const b = Buffer.alloc(py + y.length + 5, 0)
    b.set(y, py)
    const c = compareBytes(viewOf(a), px, x.length, viewOf(b), py, y.length)
    return Math.sign(c) === Buffer.compare(Buffer.from(x), Buffer.from(y))
  }), { numRuns: 5000 })
  t.pass()
})

t.test('LineBuffer writes a string longer than its buffer a slice at a time, surrogate pairs whole', async t => {
  class Collect extends LineBuffer {
    readonly out: Buffer[] = []
    protected writeOut (b: Uint8Array): void { this.out.push(Buffer.from(b)) }
  }
  const unit = fc.constantFrom('a', 'é', '\u20ac', '\u{1f600}', '\t')
  fc.assert(fc.property(fc.array(fc.string({ unit, maxLength: 400 }), { maxLength: 6 }), fc.integer({ min: 6, max: 64 }), (lines, size) => {
    const b = new Collect(size)
    for (const line of lines) b.write(line)
    b.flush()
    return Buffer.concat(b.out).equals(Buffer.from(lines.join(''), 'utf8')) && b.out.every(o => o.length <= size)
  }), { numRuns: 500 })
  t.pass()
})
