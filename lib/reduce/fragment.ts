// One output partition's fragment file, as a reduce task writes it: lines encoded straight into
// its buffer, tsv lines of strings without a line string, and an identity reduce's lines copied
// from a run; with the scans that tell a tsv line has nothing to escape.
import { copyBytes, latin1Write, utf8Write, viewOf } from '../codec/bytes.js'
import { needsEscape, toJson } from '../output/format.js'
import { LineFile } from '../output/line-file.js'
import type { RunReader } from '../runs/run-reader.js'

/**
 * One output partition's fragment file. Lines are encoded straight into a buffer (1 MB, less
 * with many partitions): appending them to a string then writing it cost 560 ms a 64 MB
 * sort-lines job (flattening the rope, then encoding it, two-byte as soon as one line was).
 */
export class Fragment extends LineFile {
  private readonly view: DataView
  constructor (path: string, bufferBytes: number) {
    super(path, bufferBytes, 'reduce')
    this.view = viewOf(this.buf)
  }

  /**
   * A tsv line of a string key and a string or number value, encoded straight into the buffer
   * (no line string to build, flatten and encode). False, having written nothing, when either
   * needs escaping or the line might not fit the buffer: the caller formats the line.
   */
  writeTsv (k: string, v: string | number): boolean {
    // (a lone surrogate would be written as U+FFFD: formatPair refuses it)
    if (typeof v === 'string' && !v.isWellFormed()) return false
    const value = typeof v === 'number' ? toJson(v) : v
    const most = 3 * (k.length + value.length) + 2
    if (this.used + most > this.buf.length) {
      this.flush()
      if (most > this.buf.length) {
        // a line longer than the buffer: its parts one by one, with no string of the line
        if (needsEscape(k) || needsEscape(value)) return false
        this.write(k)
        this.write('\t')
        this.write(value)
        this.write('\n')
        return true
      }
    }
    const b = this.buf
    const start = this.used
    const tab = start + utf8Write(b, k, start)
    if (!unescaped(this.view, start, tab)) return false
    let end = tab + 1
    if (typeof v === 'number') end += latin1Write(b, value, end)
    else if (value.length !== 0) {
      end += utf8Write(b, value, end)
      if (!unescaped(this.view, tab + 1, end)) return false
    }
    b[tab] = 9
    b[end] = 10
    this.used = end + 1
    return true
  }

  /**
   * A tsv line of a string key given as its UTF-8 bytes, k[kFrom, kTo) (a run's key, the one
   * being reduced), and a number: the key is copied, not encoded again from its string, and an
   * integer's digits are written here (a call into C++ for each cost more than the line). False,
   * having written nothing, for a key to escape or a line that might not fit the buffer.
   */
  copyKeyNumber (k: DataView, kFrom: number, kTo: number, v: number): boolean {
    const klen = kTo - kFrom
    if (this.used + klen + 26 > this.buf.length) {
      this.flush()
      if (klen + 26 > this.buf.length) return false
    }
    const b = this.buf
    const start = this.used
    if (!copyUnescaped(k, kFrom, kTo, this.view, start)) return false
    let p = start + klen
    b[p++] = 9
    if (Number.isSafeInteger(v)) {
      let n = v
      if (n < 0) {
        b[p++] = 45 // '-'
        n = -n
      }
      let digits = 1
      for (let x = n; x >= 10; x = Math.floor(x / 10)) digits++
      p += digits
      for (let i = p - 1; i >= p - digits; i--) {
        b[i] = 48 + (n % 10)
        n = Math.floor(n / 10)
      }
    } else {
      p += latin1Write(b, toJson(v), p)
    }
    b[p++] = 10
    this.used = p
    return true
  }

  /**
   * An identity reduce's line straight from a run: the key's UTF-8 bytes, k[kFrom, kTo), TAB,
   * then the value `r` just read (nextValueRange: `len` bytes) as its UTF-8 bytes, when it is a
   * string with nothing to escape. The key's bytes are checked on the way unless `keyChecked`
   * (a key copied out of the run by copyStringKey already was). False, having written nothing,
   * for a key or value to escape, any other value, or a line that might not fit the buffer:
   * the caller decodes them and formats the line.
   */
  copyLine (k: DataView, kFrom: number, kTo: number, keyChecked: boolean, r: RunReader, len: number): boolean {
    const at = r.valueAt
    const t = r.bytes[at]!
    const head = t >= 0xa0 && t < 0xc0 ? 1 : t === 0xd9 ? 2 : t === 0xda ? 3 : t === 0xdb ? 5 : 0
    if (head === 0) return false
    const klen = kTo - kFrom
    const vlen = len - head
    if (this.used + klen + vlen + 2 > this.buf.length) {
      this.flush()
      if (klen + vlen + 2 > this.buf.length) return false
    }
    const start = this.used
    const tab = start + klen
    if (keyChecked) copyBytes(k, kFrom, kTo, this.view, start)
    else if (!copyUnescaped(k, kFrom, kTo, this.view, start)) return false
    if (vlen !== 0) {
      copyBytes(r.bytesView, at + head, at + len, this.view, tab + 1)
      if (!unescaped(this.view, tab + 1, tab + 1 + vlen)) return false
    }
    this.buf[tab] = 9
    this.buf[tab + 1 + vlen] = 10
    this.used = tab + 2 + vlen
    return true
  }
}

/**
 * Whether UTF-8 bytes [from, to) of `view` hold nothing tsv escapes (\\ \t \r \n; all ASCII, so never
 * inside a multibyte character). 4 bytes at a time: a word with a byte under 14 or a backslash
 * (bit tricks, "hasless" and "haszero": exact) is looked at byte by byte.
 */
export function unescaped (view: DataView, from: number, to: number): boolean {
  let i = from
  for (; i + 4 <= to; i += 4) {
    if (suspect(view.getUint32(i, true))) {
      for (let j = i; j < i + 4; j++) if (escaped(view.getUint8(j))) return false
    }
  }
  for (; i < to; i++) if (escaped(view.getUint8(i))) return false
  return true
}

/** Whether one of a word's 4 bytes is under 14 (NUL, TAB, LF, CR among them) or a backslash: then looked at byte by byte. */
function suspect (w: number): boolean {
  const x = w ^ 0x5c5c5c5c
  return ((((w - 0x0e0e0e0e) & ~w) | ((x - 0x01010101) & ~x)) & 0x80808080) !== 0
}

function escaped (c: number): boolean {
  return c <= 13 ? c === 9 || c === 10 || c === 13 : c === 92
}

/**
 * Copies src[start, end) to dst at `at` unless a byte among them is one tsv escapes or a NUL
 * (a run's key escapes a NUL as 00 FF): false then, with dst partly written. One pass where
 * copying a key and then checking it were two.
 */
export function copyUnescaped (src: DataView, start: number, end: number, dst: DataView, at: number): boolean {
  let i = start
  for (; i + 4 <= end; i += 4, at += 4) {
    const w = src.getUint32(i, true)
    if (suspect(w)) {
      for (let j = i; j < i + 4; j++) if (escapedOrNul(src.getUint8(j))) return false
    }
    dst.setUint32(at, w, true)
  }
  for (; i < end; i++, at++) {
    const c = src.getUint8(i)
    if (escapedOrNul(c)) return false
    dst.setUint8(at, c)
  }
  return true
}

function escapedOrNul (c: number): boolean {
  return c === 0 || escaped(c)
}
