// RunWriter: one run into its file, group by group (run-format.ts has the layout). Keys come as
// ekeys, as strings, or as the UTF-8 bytes of a sort buffer's key arena; values as the job gave
// them, or packed. The bytes go through RunBytes (run-bytes.ts): the write buffer, the file, the
// blocks and their checksums.
import { packValue } from '../codec/values.js'
import { TAG_STRING, encodeStringKey } from '../codec/keys.js'
import { copyWithoutNul, latin1Slice, latin1Write, utf8Slice, utf8Write, viewOf } from '../codec/bytes.js'
import { BLOCK_BYTES, INDEX_KEY_BYTES, LARGE, WRITE_BUFFER, encodeFooter, indexKey, type RunInfo, type Sizes } from './run-format.js'
import { MAX_NUMBER_ARRAY, msgpackNumber } from './msgpack-numbers.js'
import { RunBytes } from './run-bytes.js'

// numbers(a) makes room for this many at a time (10 bytes each at most)
const NUMBERS_AT_ONCE = 4096
// a value repeated into this many bytes or more is written by Buffer.fill (a call into C++)
const FILL_FROM = 256

export class RunWriter extends RunBytes {
  // the last source of startBytesGroup (a sort buffer's key arena) and its view
  private src: Buffer | undefined
  private srcView: DataView | undefined
  private values = 0
  private readonly sizes: Sizes = { key: 0, value: 0 }

  startGroup (ekey: string, count: number): void {
    if (this.blockFull()) this.openBlock(indexKey(ekey))
    if (ekey.length > LARGE) {
      this.room(10)
      this.varint(ekey.length)
      this.put(Buffer.from(ekey, 'latin1'))
      this.sizes.key = Math.max(this.sizes.key, ekey.length)
    } else {
      this.room(ekey.length + 20)
      this.varint(ekey.length)
      this.pos += latin1Write(this.buf, ekey, this.pos)
    }
    this.room(10)
    this.varint(count)
    this.groups++
  }

  /** As startGroup, for an ekey given as its bytes, src[start, end) (a run's key, merged into another run). */
  startEkeyGroup (src: Buffer, start: number, end: number, count: number): void {
    if (this.blockFull()) this.openBlock(indexKey(latin1Slice(src, start, Math.min(end, start + INDEX_KEY_BYTES))))
    const len = end - start
    if (len > LARGE) this.sizes.key = Math.max(this.sizes.key, len)
    this.room(10)
    this.varint(len)
    this.put(src.subarray(start, end))
    this.room(10)
    this.varint(count)
    this.groups++
  }

  /**
   * A group whose key is a string: written as its encoding (05, UTF-8, 00 01) without building
   * the encoded string, unless it holds a NUL (escaped) or starts a block (indexed).
   */
  startStringGroup (key: string, count: number): void {
    if (3 * key.length + 30 > LARGE) {
      const bytes = Buffer.from(key, 'utf8') // (the sort buffer's keys are well-formed)
      return this.largeKey(bytes, 0, bytes.length, count)
    }
    if (this.blockFull() || key.includes('\0')) return this.startGroup(encodeStringKey(key), count)
    this.room(3 * key.length + 30)
    this.pos = this.utf8Field(key, 5, 3)
    this.buf[this.pos++] = 0
    this.buf[this.pos++] = 1
    this.varint(count)
    this.groups++
  }

  /** As startStringGroup, for a string key given as its UTF-8 bytes, src[start, end). */
  startBytesGroup (src: Buffer, start: number, end: number, count: number): void {
    const len = end - start
    if (len + 30 > LARGE) return this.largeKey(src, start, end, count)
    const current = this.blocks[this.blocks.length - 1]
    if (current !== undefined && this.flushed + this.pos - current[0] < BLOCK_BYTES) {
      this.room(len + 30)
      const b = this.buf
      const at = this.pos
      let p = at
      if (len + 3 < 0x80) b[p++] = len + 3
      else { this.varint(len + 3); p = this.pos }
      b[p++] = 5
      if (src !== this.src) {
        this.src = src
        this.srcView = viewOf(src)
      }
      if (copyWithoutNul(this.srcView!, start, end, this.view, p)) {
        p += len
        b[p++] = 0
        b[p++] = 1
        this.pos = p
        this.varint(count)
        this.groups++
        return
      }
      this.pos = at // a NUL: written escaped, below
    }
    this.startGroup(encodeStringKey(utf8Slice(src, start, end)), count)
  }

  /**
   * A string key of more than LARGE bytes, src[start, end): its encoding written from src
   * (NULs escaped on the way), with no string of it, and its index key made of its first bytes.
   */
  private largeKey (src: Buffer, start: number, end: number, count: number): void {
    const key = src.subarray(start, end)
    let nuls = 0
    for (let i = key.indexOf(0); i !== -1; i = key.indexOf(0, i + 1)) nuls++
    if (this.blockFull()) this.openBlock(indexKey('\x05' + latin1Slice(key, 0, INDEX_KEY_BYTES).replaceAll('\x00', '\x00\xff')))
    const elen = key.length + nuls + 3
    this.sizes.key = Math.max(this.sizes.key, elen)
    this.room(10)
    this.varint(elen)
    this.buf[this.pos++] = TAG_STRING
    let from = 0
    for (let i = nuls === 0 ? -1 : key.indexOf(0); i !== -1; i = key.indexOf(0, i + 1)) {
      this.put(key.subarray(from, i + 1))
      this.room(1)
      this.buf[this.pos++] = 0xff // (00 FF: an escaped NUL)
      from = i + 1
    }
    this.put(key.subarray(from))
    this.room(12)
    this.buf[this.pos++] = 0
    this.buf[this.pos++] = 1
    this.varint(count)
    this.groups++
  }

  /**
   * As startBytesGroup, then `count` values, each the bytes `framed` (see framed): the groups
   * of keys that all have one value.
   */
  sharedGroup (src: Buffer, start: number, end: number, count: number, framed: Uint8Array): void {
    this.startBytesGroup(src, start, end, count)
    this.framedValues(framed, count)
  }

  /** A value `count` times, as value(v) writes it. */
  repeated (v: unknown, count: number): void {
    const framed = this.framed(v)
    if (framed === undefined) for (let c = 0; c < count; c++) this.value(v)
    else this.framedValues(framed, count)
  }

  /** `count` values, each the bytes `framed` (see framed). */
  private framedValues (framed: Uint8Array, count: number): void {
    const vlen = framed.length
    const most = Math.floor(WRITE_BUFFER / 4 / vlen)
    for (let left = count; left > 0;) {
      const n = Math.min(left, most)
      this.room(n * vlen)
      const b = this.buf
      let p = this.pos
      if (n * vlen >= FILL_FROM) {
        b.fill(framed, p, p + n * vlen) // (a count's 1s: one call, not a loop a value)
        p += n * vlen
      } else {
        for (let c = 0; c < n; c++) {
          for (let i = 0; i < vlen; i++) b[p + i] = framed[i]!
          p += vlen
        }
      }
      this.pos = p
      left -= n
    }
    this.values += count
  }

  /**
   * The bytes value(v) writes, a length and msgpack, for a number, boolean, null or string of
   * under 32 characters; undefined, having written nothing, for any other value.
   */
  framed (v: unknown): Uint8Array | undefined {
    if (!(typeof v === 'number' || typeof v === 'boolean' || v === null || (typeof v === 'string' && v.length < 32))) return undefined
    if (this.buf.length - this.pos < 128) this.flush() // (a value here takes at most 96 bytes)
    const at = this.pos
    const values = this.values
    this.value(v)
    const bytes = Buffer.from(this.buf.subarray(at, this.pos))
    this.pos = at
    this.values = values
    return bytes
  }

  /**
   * Writes varint(len + extra), the byte `head`, then `s` as UTF-8 (len bytes) at pos, with
   * room for 3 bytes a UTF-16 unit; returns the new pos. When even that bound keeps the length
   * under 128, the string goes first and its one length byte after, with no byteLength pass.
   */
  private utf8Field (s: string, head: number, extra: number): number {
    const b = this.buf
    let at = this.pos
    if (3 * s.length + extra < 0x80) {
      b[at + 1] = head
      const len = utf8Write(b, s, at + 2)
      b[at] = len + extra
      return at + 2 + len
    }
    this.varint(Buffer.byteLength(s, 'utf8') + extra)
    at = this.pos
    b[at] = head
    return at + 1 + utf8Write(b, s, at + 1)
  }

  /**
   * A value as the job gave it. Numbers, strings, null and booleans are written here as
   * standard msgpack, without a call into msgpackr (a Buffer view per value: measured 0.98 s
   * of 45 s on a 4M-pair sum); the rest goes through values.ts.
   */
  value (v: unknown): void {
    if (typeof v === 'number') {
      if (!Object.is(v, -0)) {
        this.room(10)
        const at = this.pos
        const p = msgpackNumber(this.buf, at + 1, v)
        this.buf[at] = p - at - 1
        this.pos = p
        this.values++
        return
      }
    } else if (Array.isArray(v)) {
      if (this.numberArray(v)) return
    } else if (typeof v === 'string') {
      if (3 * v.length < 32 && v.isWellFormed()) return this.shortString(v)
      const len = Buffer.byteLength(v, 'utf8')
      if (len > LARGE) return this.valueBytes(packValue(v)) // (a string of its own: see packValue)
      if (len < 0x10000 && v.isWellFormed()) {
        const head = len < 32 ? 1 : len < 256 ? 2 : 3
        this.room(len + head + 3)
        this.varint(len + head)
        if (head === 1) this.buf[this.pos++] = 0xa0 | len
        else if (head === 2) {
          this.buf[this.pos++] = 0xd9
          this.buf[this.pos++] = len
        } else {
          this.buf[this.pos++] = 0xda
          this.pos = this.buf.writeUInt16BE(len, this.pos)
        }
        this.pos += utf8Write(this.buf, v, this.pos)
        this.values++
        return
      }
    } else if (v === null || typeof v === 'boolean') {
      this.room(2)
      this.buf[this.pos++] = 1
      this.buf[this.pos++] = v === null ? 0xc0 : v ? 0xc3 : 0xc2
      this.values++
      return
    }
    this.valueBytes(packValue(v))
  }

  /** The numbers a[from, to), each a value as value(v) writes it. */
  numbers (a: Float64Array, from: number, to: number): void {
    let i = from
    while (i < to) {
      const end = Math.min(to, i + NUMBERS_AT_ONCE)
      this.room(10 * (end - i))
      const b = this.buf
      let p = this.pos
      const first = i
      for (; i < end; i++) {
        const v = a[i]!
        if (v > 0 && v < 0x80 && (v | 0) === v) { // (a count's 1: the common case, in short)
          b[p] = 1
          b[p + 1] = v
          p += 2
        } else if (Object.is(v, -0)) {
          break
        } else {
          const q = msgpackNumber(b, p + 1, v)
          b[p] = q - p - 1
          p = q
        }
      }
      this.values += i - first
      this.pos = p
      if (i < end) this.value(a[i++]!) // -0, packed as value() does
    }
  }

  /** A string of under 32 UTF-8 bytes whatever its characters: a msgpack fixstr, written before its lengths. */
  private shortString (v: string): void {
    this.room(2 + 3 * v.length)
    const b = this.buf
    const at = this.pos
    const len = v.length === 0 ? 0 : utf8Write(b, v, at + 2)
    b[at] = len + 1
    b[at + 1] = 0xa0 | len
    this.pos = at + 2 + len
    this.values++
  }

  /**
   * A short array of numbers (a job's [count, bytes] pairs) as a msgpack fixarray, without
   * msgpackr: packing each one cost 1.2 us, most of a log job's spill. False, having written
   * nothing, for any other array.
   */
  private numberArray (a: unknown[]): boolean {
    const n = a.length
    if (n > MAX_NUMBER_ARRAY) return false
    this.room(2 + 9 * n)
    const b = this.buf
    const at = this.pos
    b[at + 1] = 0x90 | n
    let p = at + 2
    for (let i = 0; i < n; i++) {
      const x = a[i]
      if (typeof x !== 'number' || Object.is(x, -0)) return false
      p = msgpackNumber(b, p, x)
    }
    b[at] = p - at - 1
    this.pos = p
    this.values++
    return true
  }

  valueBytes (bytes: Uint8Array): void {
    const n = bytes.length
    if (n > LARGE) {
      this.room(10)
      this.varint(n)
      this.put(bytes)
      this.sizes.value = Math.max(this.sizes.value, n)
    } else {
      this.room(n + 5)
      this.varint(n)
      this.buf.set(bytes, this.pos)
      this.pos += n
    }
    this.values++
  }

  /** Ends the run: its last block, its footer (run-format.ts); the file is closed. */
  close (): RunInfo {
    const end = this.endBlocks()
    const { footer, trailer } = encodeFooter({ groups: this.groups, values: this.values, blocks: this.blocks, sizes: this.sizes })
    this.closeWith(footer, trailer)
    return { path: this.path, groups: this.groups, values: this.values, bytes: end + footer.length + trailer.length, blocks: this.blocks, sizes: this.sizes }
  }
}
