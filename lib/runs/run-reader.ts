// RunReader: a run's groups read back in order, from any block on, each block checked against
// its CRC (run-format.ts has the layout); and the key prefixes a merge orders readers by.
import { closeSync, readSync } from 'node:fs'
import { crc32 } from 'node:zlib'
import type { MrstreamError } from '../errors.js'
import { largeGarbage } from '../exec/garbage.js'
import { unpackValue } from '../codec/values.js'
import { TAG_STRING, decodeKey, type Key } from '../codec/keys.js'
import { ASCII, HAS_NUL, compareBytes, latin1Slice, textKind, utf8Slice, viewOf } from '../codec/bytes.js'
import { LARGE, openRun, runCorrupt, type Block, type RunFooter } from './run-format.js'
import { framedEnd, readFramedInts, readNumber, readNumberArray } from './msgpack-numbers.js'

/** Above every key prefix that RunReader.keyPrefix gives a key starting with its anchor. */
export const PREFIX_ABOVE = 2 ** 48 + 1

/** RunReader.keyPrefix of the ekey b[at, at + len). */
export function prefixNumber (b: Uint8Array, at: number, len: number, anchor: Uint8Array): number {
  const skip = anchor.length
  for (let i = 0, n = Math.min(skip, len); i < n; i++) {
    const d = b[at + i]! - anchor[i]!
    if (d !== 0) return d < 0 ? 0 : PREFIX_ABOVE
  }
  if (len < skip) return 0 // a proper prefix of the anchor (encoded keys are prefix-free: for safety)
  const n = Math.min(skip + 6, len)
  let p = 0
  for (let i = skip; i < n; i++) p = p * 256 + b[at + i]!
  for (let i = n; i < skip + 6; i++) p *= 256
  return p + 1
}

/**
 * Reads a run's groups in order, synchronously (reduce's values are a sync Iterable), from
 * block `fromBlock` on. Invariant: bytes [fileOff + start, fileOff + end) of the file are in
 * buf[start, end); every byte read is checked against its block's CRC once its block is whole.
 */
export class RunReader {
  readonly path: string
  /** Values of the current group not yet read. */
  left = 0
  /** Where the value nextValueRange read starts in `bytes`. */
  valueAt = 0
  /** How many times the buffer's bytes have moved: positions in `bytes` read before stay valid while it is unchanged. */
  moves = 0
  // The current group's ekey: bytes [keyAt, keyAt + keyLen) of buf, as a string once asked
  // for (merges compare the bytes; most groups never need the string).
  private keyAt = 0
  private keyLen = 0
  private keyString: string | undefined = ''
  private fd: number
  private buf: Buffer
  private view: DataView
  private start = 0
  private end = 0
  private fileOff: number
  private readAt: number
  private readonly bodyEnd: number
  readonly blocks: Block[]
  private bi: number
  private bcrc = 0

  constructor (path: string, footer: RunFooter, fromBlock = 0, private readonly bufferBytes = 256 * 1024) {
    this.path = path
    this.fd = openRun(path)
    this.blocks = footer.blocks
    this.bodyEnd = footer.bodyEnd
    this.bi = fromBlock
    this.fileOff = this.readAt = fromBlock < this.blocks.length ? this.blocks[fromBlock]![0] : this.bodyEnd
    this.buf = Buffer.allocUnsafe(bufferBytes)
    this.view = viewOf(this.buf)
  }

  /** The current group's ekey (after nextGroup() returned true; '' at the end). */
  get key (): string {
    this.keyString ??= latin1Slice(this.buf, this.keyAt, this.keyAt + this.keyLen)
    return this.keyString
  }

  /** Byte order of this reader's current key and `other`'s (that of their ekey strings). */
  compareKey (other: RunReader): number {
    return compareBytes(this.view, this.keyAt, this.keyLen, other.view, other.keyAt, other.keyLen)
  }

  /**
   * A number whose order is the current key's among keys that start with `anchor`: 1 + the 6
   * bytes after it (0 past the key's end); 0 for a key below every such key, PREFIX_ABOVE for
   * one above. Keys with different numbers compare as them; equal numbers need compareKey.
   */
  keyPrefix (anchor: Uint8Array): number {
    return prefixNumber(this.buf, this.keyAt, this.keyLen, anchor)
  }

  /** Byte order of the current key and an ekey given as bytes. */
  compareKeyTo (ekey: DataView): number {
    return compareBytes(this.view, this.keyAt, this.keyLen, ekey, 0, ekey.byteLength)
  }

  /** Moves to the next group (skipping unread values of this one); false at the end of the run. */
  nextGroup (): boolean {
    while (this.left > 0) this.skipValue()
    this.keyString = '' // (reading the head below may move the buffer: nothing to keep)
    this.keyLen = 0
    if (this.fileOff + this.start >= this.bodyEnd) return false
    // the common case in short: one-byte lengths, the group's head in the buffer
    const b = this.buf
    const at = this.start
    const short = b[at]!
    if (short < 0x80 && at + short + 2 <= this.end && b[at + short + 1]! < 0x80) {
      this.keyAt = at + 1
      this.keyLen = short
      this.keyString = undefined
      this.left = b[at + short + 1]!
      this.start = at + short + 2
      return true
    }
    const klen = this.varint()
    // with the count's varint too, so reading it cannot move the key's bytes (see decodedKey)
    this.ensure(Math.min(klen + 10, this.bodyEnd - this.fileOff - this.start))
    if (klen > this.end - this.start) throw this.corrupt('group runs past the end of the body')
    this.keyAt = this.start
    this.keyLen = klen
    this.keyString = undefined
    this.start += klen
    this.left = this.varint()
    return true
  }

  /**
   * The current key as the job emitted it; call before reading its values. A string key
   * without NULs (05, UTF-8, 00 01) is decoded from its bytes in one step, without its ekey
   * string; when they are ASCII, as latin1, which is cheaper.
   */
  decodedKey (): Key {
    const from = this.keyAt + 1
    const to = this.stringKeyEnd()
    const kind = to === -1 ? HAS_NUL : textKind(this.view, from, to)
    if (kind === HAS_NUL) return decodeKey(this.key)
    return kind === ASCII ? latin1Slice(this.buf, from, to) : utf8Slice(this.buf, from, to)
  }

  /**
   * Where the current key's UTF-8 bytes end in `bytes` (from keyStart) if it is a string (05,
   * UTF-8, 00 01; a NUL among them is escaped, 00 FF); else -1. They stay there until the
   * buffer moves (see nextValueInBuffer).
   */
  stringKeyEnd (): number {
    const b = this.buf
    const end = this.keyAt + this.keyLen
    return b[this.keyAt] === TAG_STRING && b[end - 2] === 0 && b[end - 1] === 1 ? end - 2 : -1
  }

  /** The next value's packed bytes; valid until the reader moves on. */
  nextValueBytes (): Buffer {
    if (this.left <= 0) throw this.corrupt('read past the values of a group')
    this.left--
    const len = this.varint()
    this.ensure(len)
    const bytes = this.buf.subarray(this.start, this.start + len)
    this.start += len
    return bytes
  }

  /** The next value, decoded: the common msgpack types here, the rest by msgpackr. */
  nextValue (): unknown {
    const len = this.nextValueRange()
    return this.decodeValue(this.valueAt, len)
  }

  /**
   * Reads the next value without decoding it: its packed bytes are bytes[valueAt, valueAt +
   * the length this returns), until the reader moves on.
   */
  nextValueRange (): number {
    if (this.left <= 0) throw this.corrupt('read past the values of a group')
    this.left--
    let len = this.buf[this.start]!
    if (len < 0x80 && this.start + 1 + len <= this.end) {
      this.start++ // a one-byte length, the value in the buffer (the common case, in short)
    } else {
      len = this.varint()
      this.ensure(len) // (may replace the buffer)
    }
    this.valueAt = this.start
    this.start += len
    return len
  }

  /**
   * Reads the current group's next values into `out` from 0 while each is an integer that an
   * Int32 holds, its bytes whole in the buffer, up to out.length; returns how many (0: the next
   * value is of another kind, or not whole in the buffer: nextValue reads it). The values of a hot key or a
   * count are read in one loop, not a call each; the buffer does not move.
   */
  readInts (out: Int32Array): number {
    const n = readFramedInts(this.buf, this.start, this.end, out, Math.min(out.length, this.left))
    this.start = framedEnd()
    this.left -= n
    return n
  }

  /** The reader's buffer, where nextValueRange's bytes are, and a view of it. */
  get bytes (): Buffer { return this.buf }
  get bytesView (): DataView { return this.view }

  /** The value packed in bytes[at, at + len) (see nextValueRange). */
  decodeValue (at: number, len: number): unknown {
    const b = this.buf
    const t = b[at]!
    if (t >= 0xa0 && t < 0xc0) return len === 1 ? '' : utf8Slice(b, at + 1, at + len) // '' (sort lines' value) without a call
    if (t >= 0x90 && t < 0xa0) {
      const a = readNumberArray(b, at, len)
      if (a !== undefined) return a
    } else {
      const n = readNumber(b, at, at + len)
      if (n !== undefined) return n
    }
    switch (t) {
      case 0xc0: return null
      case 0xc2: return false
      case 0xc3: return true
      case 0xd9: return utf8Slice(b, at + 2, at + len)
      case 0xda: return utf8Slice(b, at + 3, at + len)
      case 0xdb: return utf8Slice(b, at + 5, at + len)
    }
    try {
      return unpackValue(b.subarray(at, at + len))
    } catch (e) {
      // a damaged value can be read before its block's CRC is checked (at the block's end)
      throw this.corrupt(`undecodable value (${(e as Error).message})`)
    }
  }

  /** Where the current key's ekey is in `bytes`: [keyFrom, keyTo), until the reader moves on. */
  get keyFrom (): number { return this.keyAt }
  get keyTo (): number { return this.keyAt + this.keyLen }

  /** Where the current key's bytes start in `bytes` (after its type byte, for a string). */
  get keyStart (): number { return this.keyAt + 1 }

  /** Whether the next value is whole in the buffer, so that reading it leaves the key's bytes where they are. */
  nextValueInBuffer (): boolean {
    if (this.left <= 0) return false
    const len = this.buf[this.start]!
    return len < 0x80 && this.start + 1 + len <= this.end
  }

  /**
   * When the current key is a string with no NUL (its encoding is 05, UTF-8, 00 01): copies its
   * UTF-8 bytes to dst at 0 with `copy` and returns their length; else -1, as when `copy`
   * refused them (it must refuse a zero byte: a NUL in the key is escaped, 00 FF, in its
   * encoding). Call before reading its values.
   */
  copyStringKey (dst: DataView, copy: (src: DataView, start: number, end: number, dst: DataView, at: number) => boolean): number {
    const from = this.keyAt + 1
    const to = this.stringKeyEnd()
    if (to === -1 || to - from > dst.byteLength || !copy(this.view, from, to, dst, 0)) return -1
    return to - from
  }

  close (): void {
    try { closeSync(this.fd) } catch {}
    if (this.buf.length > LARGE) largeGarbage(2 * this.buf.length, true) // (and what was decoded from it)
  }

  private skipValue (): void {
    this.left--
    const len = this.varint()
    this.ensure(len)
    this.start += len
  }

  private varint (): number {
    this.ensure(Math.min(10, this.bodyEnd - this.fileOff - this.start))
    let n = 0
    let mul = 1
    for (;;) {
      if (this.start >= this.end) throw this.corrupt('group cut short')
      const b = this.buf[this.start++]!
      n += (b & 0x7f) * mul
      if (b < 0x80) return n
      mul *= 128
      if (mul > 2 ** 49) throw this.corrupt('bad length')
    }
  }

  private ensure (n: number): void {
    if (this.end - this.start >= n) return
    if (this.fileOff + this.start + n > this.bodyEnd) throw this.corrupt('group runs past the end of the body')
    // the bytes before `start` go: the current key's among them (its values are being read),
    // so its string is made now
    void this.key
    this.moves++
    // a buffer grown past LARGE for a key or value goes back to its size once what it needs
    // fits that: a merge holds a reader a run, and each may meet a large one
    if (n > this.buf.length || (this.buf.length > LARGE && this.buf.length > this.bufferBytes && n <= this.bufferBytes)) {
      const other = Buffer.allocUnsafe(n > this.buf.length ? Math.max(n, this.buf.length * 2) : this.bufferBytes)
      this.buf.copy(other, 0, this.start, this.end)
      if (this.buf.length > LARGE) largeGarbage(2 * this.buf.length) // (and what was decoded from it)
      this.buf = other
      this.view = viewOf(other)
    } else {
      this.buf.copy(this.buf, 0, this.start, this.end)
    }
    this.fileOff += this.start
    this.end -= this.start
    this.start = 0
    while (this.end < n) {
      const want = Math.min(this.buf.length - this.end, this.bodyEnd - this.readAt)
      const got = readSync(this.fd, this.buf, this.end, want, this.readAt)
      if (got <= 0) throw this.corrupt('unexpected end of file')
      this.check(this.buf.subarray(this.end, this.end + got))
      this.end += got
      this.readAt += got
    }
  }

  private check (bytes: Buffer): void {
    let at = this.readAt
    let off = 0
    while (off < bytes.length) {
      const block = this.blocks[this.bi]
      if (block === undefined) throw this.corrupt('bytes past the last block')
      const blockEnd = block[0] + block[2]
      const take = Math.min(bytes.length - off, blockEnd - at)
      this.bcrc = crc32(bytes.subarray(off, off + take), this.bcrc)
      off += take
      at += take
      if (at === blockEnd) {
        if (this.bcrc !== block[3]) throw this.corrupt(`checksum mismatch in block at byte ${block[0]}`)
        this.bi++
        this.bcrc = 0
      }
    }
  }

  private corrupt (why: string): MrstreamError {
    return runCorrupt(this.path, why)
  }
}
