// fragment.ts: the 4-bytes-at-a-time scans that tell a tsv line has nothing to escape agree
// with a byte at a time, for any bytes and any alignment (also beside 0x80-0xff bytes, which
// the bit tricks must not mistake for the ones they look for); a write that fails says so as
// every file mrstream writes does.
import t from 'tap'
import fc from 'fast-check'
import { viewOf } from '../../dist/lib/codec/bytes.js'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Fragment, copyUnescaped, unescaped } from '../../dist/lib/reduce/fragment.js'
import { formatPair } from '../../dist/lib/output/format.js'

// bytes near the ones the tricks look for: 0, 9, 10, 13, 14, 92 and their neighbours, the
// high-bit ones, and any byte
const byte = fc.oneof(fc.constantFrom(0, 1, 8, 9, 10, 11, 12, 13, 14, 91, 92, 93, 0x7f, 0x80, 0x8e, 0xdc, 0xff), fc.integer({ min: 0, max: 255 }))
const bytes = fc.array(byte, { maxLength: 40 })
const escapes = (c: number): boolean => c === 9 || c === 10 || c === 13 || c === 92

t.test('unescaped is false exactly when a byte is \\t, \\n, \\r or \\\\', async t => {
  fc.assert(fc.property(bytes, fc.nat(7), (a, pad) => {
    const b = Buffer.alloc(pad + a.length + 3, 9) // tabs around: outside the range, never seen
    b.set(a, pad)
    return unescaped(viewOf(b), pad, pad + a.length) === !a.some(escapes)
  }), { numRuns: 3000 })
  t.pass()
})

t.test('copyUnescaped copies what has no NUL and nothing tsv escapes, and says when there is one', async t => {
  fc.assert(fc.property(bytes, fc.nat(7), fc.nat(7), (a, pad, at) => {
    const src = Buffer.alloc(pad + a.length + 3, 9) // tabs around: outside the range, never seen
    src.set(a, pad)
    const dst = Buffer.alloc(at + a.length + 3, 0x55)
    const ok = copyUnescaped(viewOf(src), pad, pad + a.length, viewOf(dst), at)
    if (ok !== !a.some(c => c === 0 || escapes(c))) return false
    if (!ok) return true
    return dst.subarray(at, at + a.length).equals(Buffer.from(a)) && dst[at + a.length] === 0x55 && (at === 0 || dst[at - 1] === 0x55)
  }), { numRuns: 3000 })
  t.pass()
})

t.test('copyKeyNumber writes the line formatPair makes, for any number; refuses a key to escape', async t => {
  const dir = mkdtempSync(join(tmpdir(), 'mrstream-test-fragment-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const edges = fc.constantFrom(0, -0, 9, 10, -10, 99, 100, 2 ** 53 - 1, -(2 ** 53) + 1, 2 ** 53, 1e21, -1e21, 0.1, NaN, Infinity, -Infinity)
  const num = fc.oneof(fc.integer(), fc.maxSafeInteger(), fc.double(), edges)
  const key = fc.oneof(fc.string(), fc.string({ unit: 'grapheme' }), fc.constantFrom('a\tb', 'a\\b', 'x\ny', ''))
  let file = 0
  fc.assert(fc.property(fc.array(fc.tuple(key, num), { maxLength: 20 }), fc.nat(5), (pairs, pad) => {
    // a small buffer: lines that do not fit flush it first
    const path = join(dir, `f${file++}`)
    const f = new Fragment(path, 64)
    let want = ''
    for (const [k, v] of pairs) {
      const kb = Buffer.concat([Buffer.alloc(pad, 9), Buffer.from(k, 'utf8')])
      if (f.copyKeyNumber(viewOf(kb), pad, kb.length, v)) want += formatPair('tsv', k, v)
      else if (!/[\\\t\r\n\0]/.test(k) && Buffer.byteLength(k) + 26 <= 64) return false // refused a key it could copy
    }
    f.close()
    return readFileSync(path, 'utf8') === want
  }), { numRuns: 500 })
  t.pass()
})

t.test('a fragment that cannot be written fails with MRS_ERR_IO, naming the file and the full disk', { skip: existsSync('/dev/full') ? false : 'no /dev/full here' }, async t => {
  const f = new Fragment('/dev/full', 64 << 10)
  f.write('a\t1\n')
  t.throws(() => f.close(), { code: 'MRS_ERR_IO', message: /^reduce: cannot write \/dev\/full: No space left on device \(ENOSPC\)$/ })
  f.discard()
})
