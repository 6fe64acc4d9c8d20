// msgpack numbers, and fixarrays of them, written and read by hand as msgpackr writes and
// reads them: most of a run's values are numbers or short arrays of them, and a call into
// msgpackr for each cost more than the rest of writing or reading it (see RunWriter.value).

// numbers an array may have to be written and read here (its msgpack, at most 9 bytes a
// number, keeps a one-byte length)
export const MAX_NUMBER_ARRAY = 12

/** Writes a number (not -0) as msgpack at b[p], as msgpackr would; returns the position after it. */
export function msgpackNumber (b: Buffer, p: number, v: number): number {
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
export function readNumber (b: Buffer, p: number, end: number): number | undefined {
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
export function readNumberArray (b: Buffer, at: number, len: number): number[] | undefined {
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

/**
 * Reads values as a run frames them (a one-byte length, then msgpack) from b[p] into out[0, most)
 * while each is an integer that an Int32 holds (numbers that stay Smis in V8: a Float64Array's
 * were allocated one by one) and its bytes end by `end`; returns how many. framedEnd() then
 * tells where the last one ended (p when none was read).
 */
export function readFramedInts (b: Buffer, p: number, end: number, out: Int32Array, most: number): number {
  let n = 0
  while (n < most && p + 2 <= end) {
    const len = b[p]!
    const t = b[p + 1]!
    if (t < 0x80 && len === 1) out[n] = t // (a positive fixint: a count's 1, most small integers)
    else if (t >= 0xe0 && len === 1) out[n] = t - 256
    else if (p + 1 + len > end) break
    else if (t === 0xcc && len === 2) out[n] = b[p + 2]!
    else if (t === 0xcd && len === 3) out[n] = (b[p + 2]! << 8) | b[p + 3]!
    else if (t === 0xd0 && len === 2) out[n] = (b[p + 2]! << 24) >> 24
    else if (t === 0xd1 && len === 3) out[n] = (((b[p + 2]! << 8) | b[p + 3]!) << 16) >> 16
    else if (t === 0xd2 && len === 5) out[n] = b.readInt32BE(p + 2)
    else if (t === 0xce && len === 5 && b[p + 2]! < 0x80) out[n] = b.readInt32BE(p + 2) // (under 2^31)
    else break
    n++
    p += 1 + len
  }
  numberEnd = p
  return n
}

/** Where the last readFramedInts stopped. */
export function framedEnd (): number {
  return numberEnd
}
