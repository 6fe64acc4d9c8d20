// One run: a sorted sequence of groups, each a key and its values, as written by a spill or a
// merge pass. Layout:
//   body:    group*   group = varint keyLen, ekey bytes, varint valueCount, (varint len, msgpack)*
//   footer:  msgpack { groups, values, blocks: [offset, firstEkey, length, crc32][] }
//   trailer: u32 footer length, magic "MRSRUN01"
// Blocks (about BLOCK_BYTES each, always starting at a group) index the run for range reads
// and carry a CRC each, so a reader notices truncation or corruption in what it reads. A
// block's firstEkey is its first group's ekey, or only the first INDEX_KEY_BYTES bytes of a
// longer one (see indexKey).
import { closeSync, fstatSync, openSync, readSync } from 'node:fs'
import { crc32 } from 'node:zlib'
import { pack, unpack } from 'msgpackr'
import { MrstreamError } from '../errors.js'
import { largeGarbage } from '../exec/garbage.js'
import { packValue, unpackValue } from '../codec/values.js'
import { TAG_STRING, decodeKey, encodeStringKey, type Key } from '../codec/keys.js'
import { compareBytes, copyWithoutNul, isAscii, latin1Slice, latin1Write, utf8Slice, utf8Write, viewOf, withoutNul, writeAll } from '../codec/bytes.js'

const MAGIC = 'MRSRUN01'
const TRAILER = 12
const BLOCK_BYTES = 64 * 1024
const WRITE_BUFFER = 1 << 20
// A key or value this long is written to the file from where it is, not through the write
// buffer (which grew to hold it, for good), and a key without its string (see largeKey).
const LARGE = WRITE_BUFFER / 4
// numbers an array may have to be written and read here (its msgpack, at most 9 bytes a
// number, keeps a one-byte length)
const MAX_NUMBER_ARRAY = 12

export type Block = [offset: number, firstEkey: string, length: number, crc: number]

/**
 * The most bytes of a block's first key that its index keeps. Whole keys, a key for every 64 KB
 * block, made the footer of a run of 64 KB keys as large as its body, and every thread that
 * read the footers (the main thread's key ranges, each merge and reduce task) held all of them.
 */
export const INDEX_KEY_BYTES = 256

/**
 * A block's first ekey as the index keeps it: whole when shorter than INDEX_KEY_BYTES, else
 * its first INDEX_KEY_BYTES bytes (a copy: a slice would keep the whole key alive). So an
 * index key of INDEX_KEY_BYTES bytes may be a prefix of the key (see keyAtMost).
 */
export function indexKey (ekey: string): string {
  return ekey.length < INDEX_KEY_BYTES ? ekey : Buffer.from(ekey.slice(0, INDEX_KEY_BYTES), 'latin1').toString('latin1')
}

/**
 * Whether the key a block's index key `first` stands for is <= the ekey `lo`, as far as the
 * index key tells: a prefix below lo's first bytes is; one equal to them might not be (the
 * key may go on above lo), so it is taken as not.
 */
export function keyAtMost (first: string, lo: string): boolean {
  if (first.length < INDEX_KEY_BYTES) return first <= lo
  return first < lo && !lo.startsWith(first)
}

export interface RunInfo {
  path: string
  groups: number
  values: number
  bytes: number
  blocks: Block[]
  /** The longest ekey and packed value in bytes, when over LARGE (else 0): see Sizes. */
  sizes: Sizes
}

/**
 * A run's longest key (ekey) and value in bytes, when longer than LARGE (else 0): a merge holds
 * each run's current key, a reduce decodes a key and a value at a time.
 */
export interface Sizes { key: number, value: number }

function ioError (e: unknown, path: string, phase: 'spill' | 'merge' | 'reduce' | 'output'): MrstreamError {
  const err = e as NodeJS.ErrnoException
  const why = err.code === 'ENOSPC' ? 'No space left on device' : err.message
  return new MrstreamError('MRS_ERR_IO', `${phase}: cannot write ${path}: ${why}${err.code ? ` (${err.code})` : ''}`, { phase, file: path }, e)
}

// The write buffer of the last writer closed in this thread, for the next: a thread writes one
// run at a time, and a buffer a spill was garbage outside the heap that V8 frees only once 64 MB
// of it piles up (a spill a key: 150 keys of 1 MB under --memory 1MB).
let spare: Buffer | undefined

function takeBuffer (): Buffer {
  const buf = spare ?? Buffer.allocUnsafe(WRITE_BUFFER)
  spare = undefined
  return buf
}

export class RunWriter {
  readonly path: string
  private readonly phase: 'spill' | 'merge'
  private fd: number
  private buf = takeBuffer()
  private view = viewOf(this.buf)
  // the last source of startBytesGroup (a sort buffer's key arena) and its view
  private src: Buffer | undefined
  private srcView: DataView | undefined
  private pos = 0
  private flushed = 0 // file offset of buf[0]
  private crcFrom = 0 // buf index up to which the current block's crc is computed
  private crc = 0
  private blocks: Block[] = []
  private groups = 0
  private values = 0
  private readonly sizes: Sizes = { key: 0, value: 0 }

  constructor (path: string, phase: 'spill' | 'merge') {
    this.path = path
    this.phase = phase
    try { this.fd = openSync(path, 'wx', 0o600) } catch (e) { throw ioError(e, path, phase) }
  }

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

  /** Whether the next group starts a block: the first, or after BLOCK_BYTES of the current one. */
  private blockFull (): boolean {
    const current = this.blocks[this.blocks.length - 1]
    return current === undefined || this.flushed + this.pos - current[0] >= BLOCK_BYTES
  }

  /** Ends the current block and starts one at the next group, indexed by `key` (see indexKey). */
  private openBlock (key: string): void {
    const at = this.flushed + this.pos
    const current = this.blocks[this.blocks.length - 1]
    if (current !== undefined) this.closeBlock(current, at)
    this.blocks.push([at, key, 0, 0])
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
    const vlen = framed.length
    if (count * vlen > WRITE_BUFFER / 4) {
      for (let c = 0; c < count; c++) this.valueBytes(framed.subarray(1))
      return
    }
    this.room(count * vlen)
    const b = this.buf
    let p = this.pos
    for (let c = 0; c < count; c++) {
      for (let i = 0; i < vlen; i++) b[p + i] = framed[i]!
      p += vlen
    }
    this.pos = p
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

  /** Bytes into the file: through the buffer, or when more than LARGE, straight after what it holds. */
  private put (bytes: Uint8Array): void {
    if (bytes.length <= LARGE) {
      this.room(bytes.length)
      this.buf.set(bytes, this.pos)
      this.pos += bytes.length
      return
    }
    this.flush()
    this.write(bytes)
    this.flushed += bytes.length
    this.crc = crc32(bytes, this.crc)
    // (a large value's packed bytes and the string they were packed from, or a key's bytes:
    // garbage once written, mostly)
    largeGarbage(2 * bytes.length, true)
  }

  close (): RunInfo {
    const end = this.flushed + this.pos
    const last = this.blocks[this.blocks.length - 1]
    if (last !== undefined) this.closeBlock(last, end)
    this.flush()
    const footer = pack({ groups: this.groups, values: this.values, blocks: this.blocks, sizes: this.sizes })
    const trailer = Buffer.alloc(TRAILER)
    trailer.writeUInt32BE(footer.length, 0)
    trailer.write(MAGIC, 4, 'latin1')
    this.write(footer)
    this.write(trailer)
    try { closeSync(this.fd) } catch (e) { throw ioError(e, this.path, this.phase) }
    spare = this.buf
    return { path: this.path, groups: this.groups, values: this.values, bytes: end + footer.length + TRAILER, blocks: this.blocks, sizes: this.sizes }
  }

  /** Closes the file after a failure; the caller removes it. */
  abort (): void {
    try { closeSync(this.fd) } catch {}
    spare = this.buf
  }

  private closeBlock (block: Block, end: number): void {
    this.crc = crc32(this.buf.subarray(this.crcFrom, this.pos), this.crc)
    this.crcFrom = this.pos
    block[2] = end - block[0]
    block[3] = this.crc
    this.crc = 0
  }

  /** Makes room for n bytes in the buffer (n <= its size: more goes through put). */
  private room (n: number): void {
    if (this.pos + n > this.buf.length) this.flush()
  }

  private flush (): void {
    if (this.pos === 0) return
    this.crc = crc32(this.buf.subarray(this.crcFrom, this.pos), this.crc)
    this.write(this.buf.subarray(0, this.pos))
    this.flushed += this.pos
    this.pos = 0
    this.crcFrom = 0
  }

  private write (bytes: Uint8Array): void {
    try { writeAll(this.fd, bytes) } catch (e) { throw ioError(e, this.path, this.phase) }
  }

  private varint (n: number): void {
    while (n >= 0x80) {
      this.buf[this.pos++] = (n & 0x7f) | 0x80
      n = Math.floor(n / 128)
    }
    this.buf[this.pos++] = n
  }
}

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

export interface RunFooter { groups: number, values: number, blocks: Block[], sizes: Sizes, bodyEnd: number }

export function readFooter (path: string): RunFooter {
  const fd = openRead(path)
  try {
    const size = fstatSync(fd).size
    const corrupt = (why: string): MrstreamError => new MrstreamError('MRS_ERR_RUN_CORRUPT', `run file ${path} is corrupted: ${why}`, { phase: 'merge', file: path })
    if (size < TRAILER) throw corrupt('shorter than its trailer (truncated)')
    const trailer = Buffer.alloc(TRAILER)
    readSync(fd, trailer, 0, TRAILER, size - TRAILER)
    if (trailer.toString('latin1', 4) !== MAGIC) throw corrupt('no trailer (truncated or not a run)')
    const len = trailer.readUInt32BE(0)
    if (len > size - TRAILER) throw corrupt('footer length out of range')
    const footer = Buffer.alloc(len)
    readSync(fd, footer, 0, len, size - TRAILER - len)
    let f: Omit<RunFooter, 'bodyEnd'>
    try { f = unpack(footer) } catch { throw corrupt('unreadable footer') }
    const bodyEnd = size - TRAILER - len
    const last = f.blocks[f.blocks.length - 1]
    if ((last === undefined ? 0 : last[0] + last[2]) !== bodyEnd) throw corrupt('blocks do not cover the body')
    return { ...f, bodyEnd }
  } finally { closeSync(fd) }
}

function openRead (path: string): number {
  try { return openSync(path, 'r') } catch (e) {
    throw new MrstreamError('MRS_ERR_RUN_CORRUPT', `run file ${path} is missing: ${(e as Error).message}`, { phase: 'merge', file: path }, e)
  }
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
    this.fd = openRead(path)
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
    if (to === -1 || !withoutNul(this.view, from, to)) return decodeKey(this.key)
    return isAscii(this.view, from, to) ? latin1Slice(this.buf, from, to) : utf8Slice(this.buf, from, to)
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
    return new MrstreamError('MRS_ERR_RUN_CORRUPT', `run file ${this.path} is corrupted: ${why}`, { phase: 'merge', file: this.path })
  }
}

/** Writes a number (not -0) as msgpack at b[p], as msgpackr would; returns the position after it. */
function msgpackNumber (b: Buffer, p: number, v: number): number {
  if (!Number.isInteger(v) || v < -0x80000000 || v > 0xffffffff) {
    b[p] = 0xcb
    return b.writeDoubleBE(v, p + 1)
  }
  if (v >= 0) {
    if (v < 0x80) { b[p] = v; return p + 1 }
    if (v < 0x100) { b[p] = 0xcc; b[p + 1] = v; return p + 2 }
    if (v < 0x10000) { b[p] = 0xcd; b[p + 1] = v >>> 8; b[p + 2] = v & 0xff; return p + 3 }
    b[p] = 0xce
    return b.writeUInt32BE(v, p + 1)
  }
  if (v >= -32) { b[p] = v & 0xff; return p + 1 }
  if (v >= -0x80) { b[p] = 0xd0; b[p + 1] = v & 0xff; return p + 2 }
  if (v >= -0x8000) { b[p] = 0xd1; b[p + 1] = (v >> 8) & 0xff; b[p + 2] = v & 0xff; return p + 3 }
  b[p] = 0xd2
  return b.writeInt32BE(v, p + 1)
}

/** Where the last readNumber's number ended. */
let numberEnd = 0
const NUMBER_BYTES = new Uint8Array(256)
NUMBER_BYTES.fill(1, 0, 0x80).fill(1, 0xe0)
NUMBER_BYTES.set([9, 2, 3, 5], 0xcb) // 0xcb double, 0xcc u8, 0xcd u16, 0xce u32
NUMBER_BYTES.set([2, 3, 5], 0xd0) // 0xd0 i8, 0xd1 i16, 0xd2 i32

/**
 * The msgpack number at b[p], ending by `end`, or undefined (another type, or cut short: a
 * damaged run is then left to msgpackr, whose error names it); sets `numberEnd`.
 */
function readNumber (b: Buffer, p: number, end: number): number | undefined {
  const t = b[p]!
  const size = NUMBER_BYTES[t]!
  if (size === 0 || p + size > end) return undefined
  numberEnd = p + size
  if (t < 0x80) return t
  if (t >= 0xe0) return t - 256
  switch (t) {
    case 0xcb: return b.readDoubleBE(p + 1)
    case 0xcc: return b[p + 1]
    case 0xcd: return (b[p + 1]! << 8) | b[p + 2]!
    case 0xce: return b.readUInt32BE(p + 1)
    case 0xd0: return (b[p + 1]! << 24) >> 24
    case 0xd1: return (((b[p + 1]! << 8) | b[p + 2]!) << 16) >> 16
    default: return b.readInt32BE(p + 1)
  }
}

/** A msgpack fixarray of numbers at b[at] (len bytes), or undefined for any other array. */
function readNumberArray (b: Buffer, at: number, len: number): number[] | undefined {
  const n = b[at]! & 0x0f
  if (n > MAX_NUMBER_ARRAY) return undefined
  const a: number[] = []
  let p = at + 1
  for (let i = 0; i < n; i++) {
    const x = readNumber(b, p, at + len)
    if (x === undefined) return undefined
    a.push(x)
    p = numberEnd
  }
  return p === at + len ? a : undefined
}
