// Node's Buffer methods behind `toString(encoding, start, end)` and `write(s, offset, encoding)`,
// called without those wrappers' argument checks and encoding lookup. On hot paths (a key or
// line at a time) the wrappers cost more than the copy. Callers keep offsets in range themselves.
// And LineBuffer: lines encoded into one buffer and written out when it is full; writeAll.
import { writeSync } from 'node:fs'

interface RawBuffer extends Buffer {
  utf8Write: (s: string, offset: number) => number
  latin1Write: (s: string, offset: number) => number
  utf8Slice: (start: number, end: number) => string
  latin1Slice: (start: number, end: number) => string
}

/** Writes `s` as UTF-8 at `offset` (the caller made room for 3 bytes a UTF-16 unit); returns the bytes written. */
export function utf8Write (b: Buffer, s: string, offset: number): number {
  return (b as RawBuffer).utf8Write(s, offset)
}

/** Writes a one-byte string's chars as bytes at `offset`; returns the bytes written. */
export function latin1Write (b: Buffer, s: string, offset: number): number {
  return (b as RawBuffer).latin1Write(s, offset)
}

export function utf8Slice (b: Buffer, start: number, end: number): string {
  return (b as RawBuffer).utf8Slice(start, end)
}

export function latin1Slice (b: Buffer, start: number, end: number): string {
  return (b as RawBuffer).latin1Slice(start, end)
}

/** A DataView of all of `b`'s bytes: 4-byte loads and stores at any offset. */
export function viewOf (b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength)
}

/**
 * Whether bytes [start, end) of `view` are all ASCII (under 0x80), looked at 4 at a time: for
 * a line or a key, where node:buffer's isAscii would be a call into C++ (and a subarray) each.
 */
export function isAscii (view: DataView, start: number, end: number): boolean {
  let i = start
  for (; i + 4 <= end; i += 4) if ((view.getUint32(i, true) & 0x80808080) !== 0) return false
  for (; i < end; i++) if (view.getUint8(i) >= 0x80) return false
  return true
}

/** Copies src[start, end) to dst at `at`, 4 bytes at a time: for short copies, cheaper than a call into C++. */
export function copyBytes (src: DataView, start: number, end: number, dst: DataView, at: number): void {
  let i = start
  for (; i + 4 <= end; i += 4, at += 4) dst.setUint32(at, src.getUint32(i, true), true)
  for (; i < end; i++, at++) dst.setUint8(at, src.getUint8(i))
}

/** Whether one of a 32-bit word's 4 bytes is zero (exact, not a heuristic: the "haszero" bit trick). */
function hasZeroByte (w: number): boolean {
  return ((w - 0x01010101) & ~w & 0x80808080) !== 0
}

/** What textKind says of bytes that are all ASCII, of bytes with one over 0x7f, and of bytes with a NUL. */
export const ASCII = 0
export const NON_ASCII = 1
export const HAS_NUL = 2

/**
 * Whether bytes [start, end) of `view` hold a NUL (HAS_NUL), else a byte over 0x7f (NON_ASCII),
 * else neither (ASCII): one pass, 4 bytes at a time (a run's key, before it is decoded).
 */
export function textKind (view: DataView, start: number, end: number): number {
  let high = 0
  let i = start
  for (; i + 4 <= end; i += 4) {
    const w = view.getUint32(i, true)
    if (hasZeroByte(w)) return HAS_NUL
    high |= w
  }
  for (; i < end; i++) {
    const c = view.getUint8(i)
    if (c === 0) return HAS_NUL
    high |= c
  }
  return (high & 0x80808080) === 0 ? ASCII : NON_ASCII
}

/**
 * Byte order of a[aStart, aStart + aLen) and b[bStart, bStart + bLen) (shorter first when one
 * is a prefix of the other), 4 bytes at a time, read big-endian so that words compare as bytes.
 */
export function compareBytes (a: DataView, aStart: number, aLen: number, b: DataView, bStart: number, bLen: number): number {
  const n = Math.min(aLen, bLen)
  let i = 0
  for (; i + 4 <= n; i += 4) {
    const x = a.getUint32(aStart + i)
    const y = b.getUint32(bStart + i)
    if (x !== y) return x < y ? -1 : 1
  }
  for (; i < n; i++) {
    const d = a.getUint8(aStart + i) - b.getUint8(bStart + i)
    if (d !== 0) return d
  }
  return aLen - bLen
}

/**
 * Copies src[start, end) to dst at `at`, 4 bytes at a time, unless a NUL is among them:
 * false then, with dst partly written. A 60-byte line: 190 -> 80-100 ns (a byte at a time).
 */
export function copyWithoutNul (src: DataView, start: number, end: number, dst: DataView, at: number): boolean {
  let i = start
  for (; i + 4 <= end; i += 4, at += 4) {
    const w = src.getUint32(i, true)
    if (hasZeroByte(w)) return false
    dst.setUint32(at, w, true)
  }
  for (; i < end; i++, at++) {
    const c = src.getUint8(i)
    if (c === 0) return false
    dst.setUint8(at, c)
  }
  return true
}

/**
 * Lines encoded as UTF-8 into one buffer, handed to `writeOut` when it is full and on `flush`
 * (a reduce task's output fragment, a streaming command's stdout).
 */
export abstract class LineBuffer {
  protected readonly buf: Buffer
  protected used = 0

  constructor (bytes: number) {
    this.buf = Buffer.allocUnsafe(bytes)
  }

  write (line: string): void {
    // a UTF-16 code unit takes at most 3 bytes in UTF-8
    if (this.used + 3 * line.length > this.buf.length) {
      this.flush()
      if (3 * line.length > this.buf.length) return this.writeLong(line)
    }
    this.used += utf8Write(this.buf, line, this.used)
  }

  /**
   * A string longer than the buffer holds (of 6 bytes or more), a slice at a time through it:
   * encoded whole, it was a copy of its size outside the heap. (A slice of a flat string
   * copies nothing; a concatenation is made flat, a copy, by its first slice: give long strings
   * one by one.)
   */
  private writeLong (s: string): void {
    const step = Math.max(2, Math.floor(this.buf.length / 3))
    for (let i = 0; i < s.length;) {
      let j = Math.min(s.length, i + step)
      const c = s.charCodeAt(j - 1)
      if (j < s.length && c >= 0xd800 && c < 0xdc00) j-- // (a surrogate pair stays whole)
      this.used = utf8Write(this.buf, s.slice(i, j), 0)
      this.flush()
      i = j
    }
  }

  flush (): void {
    if (this.used === 0) return
    this.writeOut(this.buf.subarray(0, this.used))
    this.used = 0
  }

  protected abstract writeOut (bytes: Uint8Array): void
}

/**
 * The most a write(2) is given at once. Here a write of 1 MB or more into a file cost the
 * kernel far more at times (1 GiB written 1 MB at a time: 0.21-2.3 s, varying from run to
 * run; 256 KB at a time: 0.20-0.22 s in every run), as did copying a 1.1 GB output with 1 MB
 * reads and writes (1.17-1.38 s against 0.35-0.39 s with 256 KB).
 */
export const WRITE_SLICE = 256 << 10

/** Writes all of `bytes` to `fd` (at `position` when given), WRITE_SLICE at a time. */
export function writeAll (fd: number, bytes: Uint8Array, position?: number): void {
  for (let off = 0; off < bytes.length;) {
    off += writeSync(fd, bytes, off, Math.min(WRITE_SLICE, bytes.length - off), position === undefined ? null : position + off)
  }
}
