// The protocol of the Hadoop Streaming commands: between commands a pair is one line, KEY<TAB>VALUE:
// the key as JSON (keys are JSON types, docs/semantics.md; equal keys give equal bytes, so a
// byte-order sort groups them, and JSON escapes tabs and newlines), the value as JSON when JSON
// gives it back unchanged, else `=` and its msgpack in base64 (-0, NaN, bigint, Date, Map, Set,
// bytes, undefined: lossless, as a spill is).
//
// A job with `groupBy = n` writes a key as two fields, GROUP<TAB>ORDER<TAB>VALUE: the group
// (the key's first element, or its first n, as JSON: what reduce receives) and the rest of the
// key as the hex of its order-preserving encoding (codec/keys.ts), so that byte order on the two
// fields is key order; reduce groups the lines by the first field. Hadoop needs to be told:
//   -D stream.num.map.output.key.fields=2
//   -D mapreduce.partition.keypartitioner.options=-k1,1
//   -partitioner org.apache.hadoop.mapred.lib.KeyFieldBasedPartitioner
// (locally: sort -t$'\t' -k1,2).
import { checkGroupKey, decodeKey, encodeKey, groupEnd, groupKeyOf, type Key } from '../codec/keys.js'
import { packValue, unpackValue } from '../codec/values.js'

const BINARY = '='

/** A pair's protocol line; throws KeyError/ValueError for what the engine cannot carry. */
export function pairLine (key: unknown, value: unknown, groupBy?: number): string {
  return keyText(key, groupBy) + '\t' + valueText(value) + '\n'
}

/** A key's protocol text: its JSON, or with groupBy, GROUP<TAB>ORDER (see the top of this file). */
export function keyText (key: unknown, groupBy: number | undefined): string {
  const ekey = encodeKey(key) // refuses keys docs/semantics.md does not allow, as a local run does
  if (groupBy === undefined) return JSON.stringify(key)
  checkGroupKey(key, groupBy)
  const end = groupEnd(ekey, groupBy)
  return JSON.stringify(groupKeyOf(key as Key[], groupBy)) + '\t' + Buffer.from(ekey.slice(end), 'latin1').toString('hex')
}

/** The key of GROUP<TAB>ORDER text: the group's prefix of the key's encoding, then ORDER's bytes. */
export function parseGroupedKey (group: string, order: string, groupBy: number): unknown {
  if (!/^(?:[0-9a-f]{2})+$/.test(order)) throw new Error(`the order field ${JSON.stringify(order.slice(0, 80))} is not the hex mrstream map writes`)
  const g = encodeKey(parseKey(group))
  if (groupBy > 1 && groupEnd(g, groupBy) !== g.length - 1) throw new Error(`the group ${group.slice(0, 80)} is not an array of ${groupBy} keys`)
  const ekey = (groupBy === 1 ? '\x06' + g : g.slice(0, -1)) + Buffer.from(order, 'hex').toString('latin1')
  let key: unknown
  try { key = decodeKey(ekey) } catch { key = undefined }
  if (key === undefined || encodeKey(key) !== ekey) throw new Error(`the order field ${JSON.stringify(order.slice(0, 80))} does not complete the key`)
  return key
}

function valueText (v: unknown): string {
  return jsonExact(v, 0) ? JSON.stringify(v) : BINARY + packValue(v).toString('base64')
}

/** Whether JSON.parse(JSON.stringify(v)) is v again, to the last detail. */
function jsonExact (v: unknown, depth: number): boolean {
  switch (typeof v) {
    case 'string': return v.isWellFormed() // packValue refuses the rest, with its message
    case 'number': return Number.isFinite(v) && !Object.is(v, -0)
    case 'boolean': return true
    case 'object': break
    default: return false
  }
  if (v === null) return true
  if (depth > 100) return false
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) if (!(i in v) || !jsonExact(v[i], depth + 1)) return false
    return true
  }
  if (Object.getPrototypeOf(v) !== Object.prototype || Object.hasOwn(v, '__proto__') || Object.getOwnPropertySymbols(v).length > 0) return false
  for (const k in v) if (!jsonExact((v as Record<string, unknown>)[k], depth + 1)) return false
  return true
}

/** A protocol line's key text and value, or why it is not one. */
export function splitLine (line: string): { keyText: string, valueText: string } | string {
  const tab = line.indexOf('\t')
  if (tab === -1) return 'no TAB between key and value'
  return { keyText: line.slice(0, tab), valueText: line.slice(tab + 1) }
}

/** A key as mrstream map wrote it: JSON of a key, in JSON.stringify's one spelling (`1.0` or `"\\u0061"` would group apart from `1` and `"a"`). */
export function parseKey (text: string): unknown {
  const key = JSON.parse(text) as unknown
  encodeKey(key)
  if (JSON.stringify(key) !== text) throw new Error(`not written as JSON.stringify writes it (${JSON.stringify(key)})`)
  return key
}

export function parseValue (text: string): unknown {
  if (text.startsWith(BINARY)) return unpackValue(Buffer.from(text.slice(1), 'base64'))
  return JSON.parse(text)
}

/** A key's protocol text, or undefined for what is not a key (a bigint: docs/semantics.md). */
export function protocolText (k: unknown, groupBy: number | undefined): string | undefined {
  try { return keyText(k, groupBy) } catch { return undefined }
}
