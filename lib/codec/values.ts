// Values: msgpack (msgpackr) with the gaps closed so that a value read back from a spill is
// indistinguishable from one that never left memory (docs/semantics.md). msgpackr alone turns -0 into 0,
// renames an own `__proto__` key to `__proto_` and decodes a Map as an object; `toWire` swaps
// those for boxes with extensions of their own. Anything msgpack cannot carry unchanged (class
// instances, functions, symbols, lone surrogates, cycles) is refused, never silently changed.
import { Packr, addExtension } from 'msgpackr'

// Extension types 0x10-0x13 are ours; msgpackr uses 0x42 (bigint), 0x62, 0x65, 0x69, 0x70, 0x73, 0x74, 0x78, 0xff.
class NegZero {}
class ProtoObject { constructor (readonly entries: Array<[string, unknown]>) {} }
class MapBox { constructor (readonly entries: Array<[unknown, unknown]>) {} }
class NullProtoObject { constructor (readonly entries: Array<[string, unknown]>) {} }
const NEG_ZERO = new NegZero()

addExtension({ Class: NegZero, type: 0x10, write: () => 0, read: () => -0 })
addExtension({
  Class: ProtoObject,
  type: 0x11,
  write: (p: ProtoObject) => p.entries,
  read: (entries: Array<[string, unknown]>) => {
    const o: Record<string, unknown> = {}
    for (const [k, v] of entries) Object.defineProperty(o, k, { value: v, writable: true, enumerable: true, configurable: true })
    return o
  },
})
addExtension({
  Class: NullProtoObject,
  type: 0x13,
  write: (p: NullProtoObject) => p.entries,
  read: (entries: Array<[string, unknown]>) => {
    const o = Object.create(null) as Record<string, unknown>
    for (const [k, v] of entries) o[k] = v
    return o
  },
})
addExtension({ Class: MapBox, type: 0x12, write: (m: MapBox) => m.entries, read: (entries: Array<[unknown, unknown]>) => new Map(entries) })

const packr = new Packr({ useRecords: false, mapsAsObjects: true, int64AsType: 'bigint', useBigIntExtension: true, moreTypes: true })

/** Why a value was refused; the caller adds the record's place. */
export class ValueError extends Error {
  override name = 'ValueError'
}

// A value packed this large keeps the buffer msgpackr grew for it (msgpackr would keep that
// for the values after it, up to 1 GB), and msgpackr starts a new one.
const OWN_BYTES = 1 << 20
// strings this long are packed without msgpackr (see packString)
const LONG_STRING = 1 << 16

/**
 * Packs a value; the returned bytes are valid only until the next call (copy them), unless
 * they are OWN_BYTES or more (see packOwned).
 */
export function packValue (v: unknown): Buffer {
  if (typeof v === 'number' && !Object.is(v, -0)) return packr.pack(v)
  if (typeof v === 'string' && v.length >= LONG_STRING && v.isWellFormed()) return packString(v)
  const bytes = packr.pack(toWire(v, 0))
  if (bytes.length >= OWN_BYTES) packr.useBuffer(Buffer.allocUnsafe(8192))
  return bytes
}

/** As packValue, into bytes that are the caller's to keep. */
export function packOwned (v: unknown): Buffer {
  const bytes = packValue(v)
  return bytes.length >= OWN_BYTES || (typeof v === 'string' && v.length >= LONG_STRING) ? bytes : Buffer.from(bytes)
}

/**
 * A well-formed string of LONG_STRING or more UTF-16 units as msgpack (str 32, as msgpackr
 * packs it), in a buffer of its exact size: msgpackr makes room for 3 bytes a unit, then more.
 */
function packString (s: string): Buffer {
  const len = Buffer.byteLength(s, 'utf8')
  const bytes = Buffer.allocUnsafeSlow(5 + len)
  bytes[0] = 0xdb
  bytes.writeUInt32BE(len, 1)
  bytes.write(s, 5, 'utf8')
  return bytes
}

export function unpackValue (bytes: Uint8Array): unknown {
  return packr.unpack(bytes)
}

/** Values packed one after another (packValue's bytes, concatenated). */
export function unpackValues (bytes: Uint8Array): unknown[] {
  return packr.unpackMultiple(bytes) as unknown[]
}

/**
 * Throws ValueError for a value the engine cannot carry unchanged (as packValue would), without
 * packing it: a reduce's output value, written as JSON, must not lose a function or a class
 * instance's prototype quietly either.
 */
export function checkValue (v: unknown): void {
  const t = typeof v
  if (t === 'object' || t === 'function' || t === 'symbol' || t === 'string') toWire(v, 0)
}

/** True for values kept as they are in the sort buffer; others are kept packed (a snapshot). */
export function storedAsIs (v: unknown): boolean {
  const t = typeof v
  return t === 'number' || t === 'boolean' || t === 'undefined' || v === null || (t === 'string' && (v as string).isWellFormed()) || t === 'bigint'
}

function toWire (v: unknown, depth: number): unknown {
  switch (typeof v) {
    case 'number': return Object.is(v, -0) ? NEG_ZERO : v
    case 'string':
      if (!v.isWellFormed()) throw new ValueError(`string ${JSON.stringify(v.slice(0, 40))} has a lone UTF-16 surrogate, which msgpack (UTF-8) cannot carry`)
      return v
    case 'boolean': case 'undefined': case 'bigint': return v
    case 'object': break
    default: throw new ValueError(`a ${typeof v} cannot be carried through a spill`)
  }
  if (v === null) return v
  if (depth > 1000) throw new ValueError('value nests more than 1000 deep (or is cyclic)')
  if (Array.isArray(v)) {
    let out: unknown[] = v
    for (let i = 0; i < v.length; i++) {
      if (!(i in v)) throw new ValueError(`a sparse array (no element at ${i}) cannot be carried: msgpack would fill the hole with undefined`)
      const w = toWire(v[i], depth + 1)
      if (w !== v[i]) {
        if (out === v) out = v.slice()
        out[i] = w
      }
    }
    return out
  }
  if (v instanceof Date || v instanceof Uint8Array) {
    if (v instanceof Uint8Array && v.constructor !== Uint8Array && !Buffer.isBuffer(v)) throw new ValueError(`a ${v.constructor.name} cannot be carried; use a Uint8Array or Buffer`)
    return v
  }
  if (ArrayBuffer.isView(v)) throw new ValueError(`a ${v.constructor.name} cannot be carried; use a Uint8Array or Buffer`)
  if (v instanceof Map) return new MapBox([...v].map(([k, x]) => [toWire(k, depth + 1), toWire(x, depth + 1)]))
  if (v instanceof Set) {
    let changed = false
    const items = [...v].map(x => { const w = toWire(x, depth + 1); if (w !== x) changed = true; return w })
    return changed ? new Set(items) : v
  }
  const proto = Object.getPrototypeOf(v)
  if (proto !== Object.prototype && proto !== null) {
    throw new ValueError(`an instance of ${proto?.constructor?.name ?? 'a class'} cannot be carried through a spill; emit plain objects, arrays, Map, Set, Date or Buffer`)
  }
  const obj = v as Record<string, unknown>
  if (Object.getOwnPropertySymbols(obj).length > 0) throw new ValueError('an object with symbol keys cannot be carried through a spill (msgpack has no symbols)')
  if (proto === null) return new NullProtoObject(wireEntries(obj, depth))
  if (Object.hasOwn(obj, '__proto__')) return new ProtoObject(wireEntries(obj, depth))
  let out = obj
  for (const k in obj) {
    if (!k.isWellFormed()) throw new ValueError(`property name ${JSON.stringify(k.slice(0, 40))} has a lone UTF-16 surrogate, which msgpack (UTF-8) cannot carry`)
    const w = toWire(obj[k], depth + 1)
    if (w !== obj[k]) {
      if (out === obj) out = { ...obj }
      out[k] = w
    }
  }
  return out
}

function wireEntries (obj: Record<string, unknown>, depth: number): Array<[string, unknown]> {
  return Object.keys(obj).map(k => [toWire(k, depth + 1) as string, toWire(obj[k], depth + 1)])
}
