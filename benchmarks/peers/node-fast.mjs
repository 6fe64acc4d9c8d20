// Word count by hand, as fast as one thread of JavaScript goes: words are runs of bytes other
// than space and newline, hashed as they are scanned into an open-addressing table of their
// own (no string per word: a word's bytes are kept once, in an arena). With --lower, ASCII
// capitals count as small letters (the inputs are ASCII; other bytes are kept as they are).
//   node node-fast.mjs [--lower] <input> > output
import { closeSync, openSync, readSync, writeSync } from 'node:fs'

const lower = process.argv[2] === '--lower'
const input = process.argv[lower ? 3 : 2]
if (input === undefined) throw new Error('usage: node node-fast.mjs [--lower] <input>')

let capacity = 1 << 16 // slots, a power of two
let slots = new Int32Array(capacity).fill(-1) // word id or -1
let hashes = new Int32Array(1 << 16) // per word id
let starts = new Int32Array(1 << 16) // per word id: offset in the arena
let lengths = new Int32Array(1 << 16)
let counts = new Float64Array(1 << 16)
let words = 0
let arena = Buffer.allocUnsafe(1 << 20)
let used = 0

function grow () {
  const more = (a, T) => { const b = new T(a.length * 2); b.set(a); return b }
  hashes = more(hashes, Int32Array); starts = more(starts, Int32Array); lengths = more(lengths, Int32Array); counts = more(counts, Float64Array)
}

function rehash () {
  capacity *= 2
  slots = new Int32Array(capacity).fill(-1)
  const mask = capacity - 1
  for (let id = 0; id < words; id++) {
    let s = hashes[id] & mask
    while (slots[s] !== -1) s = (s + 1) & mask
    slots[s] = id
  }
}

/** Counts buf[from, to), whose hash is h. */
function add (buf, from, to, h) {
  const mask = capacity - 1
  const len = to - from
  for (let s = h & mask; ; s = (s + 1) & mask) {
    const id = slots[s]
    if (id === -1) {
      if (words === hashes.length) grow()
      if (used + len > arena.length) { const a = Buffer.allocUnsafe(arena.length * 2); arena.copy(a, 0, 0, used); arena = a }
      buf.copy(arena, used, from, to)
      hashes[words] = h; starts[words] = used; lengths[words] = len; counts[words] = 1
      slots[s] = words++
      used += len
      if (words * 2 > capacity) rehash()
      return
    }
    if (hashes[id] === h && lengths[id] === len && arena.compare(buf, from, to, starts[id], starts[id] + len) === 0) {
      counts[id]++
      return
    }
  }
}

const buf = Buffer.allocUnsafe(8 << 20)
const fd = openSync(input, 'r')
let kept = 0 // bytes of an unfinished word at the start of buf
for (;;) {
  const got = readSync(fd, buf, kept, buf.length - kept, null)
  const end = kept + got
  if (lower) for (let i = kept; i < end; i++) { const c = buf[i]; if (c >= 65 && c <= 90) buf[i] = c + 32 }
  let start = 0
  let h = 0x811c9dc5 | 0
  for (let i = 0; i < end; i++) {
    const c = buf[i]
    if (c === 32 || c === 10) {
      if (i > start) add(buf, start, i, h)
      start = i + 1
      h = 0x811c9dc5 | 0
    } else {
      h = Math.imul(h ^ c, 0x01000193)
    }
  }
  if (got === 0) {
    if (end > start) add(buf, start, end, h)
    break
  }
  buf.copy(buf, 0, start, end)
  kept = end - start
}
closeSync(fd)

let out = Buffer.allocUnsafe(1 << 20)
let at = 0
const fdOut = 1
for (let id = 0; id < words; id++) {
  if (at + lengths[id] + 24 > out.length) { writeAll(out, at); at = 0 }
  if (lengths[id] + 24 > out.length) out = Buffer.allocUnsafe(lengths[id] + 24)
  at += arena.copy(out, at, starts[id], starts[id] + lengths[id])
  at += out.write(`\t${counts[id]}\n`, at, 'latin1')
}
writeAll(out, at)

function writeAll (b, n) {
  // stdout is a file or a pipe opened by the shell: a blocking descriptor
  for (let off = 0; off < n;) off += writeSyncRetry(b, off, n - off)
}

function writeSyncRetry (b, off, n) {
  for (;;) {
    try { return writeSync(fdOut, b, off, n) } catch (e) { if (e.code !== 'EAGAIN') throw e }
  }
}
