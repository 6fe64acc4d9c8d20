// Output lines: tsv (`key<TAB>value`, strings as is with \\ \t \r \n escaped, the rest JSON)
// or ndjson (`[key, value]`). Values JSON cannot express are rendered so the line stays valid:
// undefined and NaN/Infinity as null (JSON's rule), bigint as a decimal string, Map as an
// object, Set as an array, Uint8Array as an array of bytes. A value the engine cannot carry
// (docs/semantics.md: a function, a symbol, a class instance, a lone surrogate) is refused (ValueError),
// as it is on the map side, never written changed.

import { checkValue, packValue } from '../codec/values.js'

/** `pairs` (internal): one base64 msgpack [key, value] per line, between the steps of a chain. */
export type OutputFormat = 'tsv' | 'ndjson' | 'pairs'

const NEEDS_ESCAPE = /[\\\t\r\n]/
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\r': '\\r', '\n': '\\n' }

function escapeTsv (s: string): string {
  return needsEscape(s) ? s.replace(/[\\\t\r\n]/g, c => ESCAPES[c]!) : s
}

/** Whether tsv escapes a character of `s` (\\ \t \r \n). */
export function needsEscape (s: string): boolean {
  return NEEDS_ESCAPE.test(s)
}

function replacer (_k: string, v: unknown): unknown {
  if (typeof v === 'bigint') return v.toString()
  if (v instanceof Map) return Object.fromEntries(v)
  if (v instanceof Set) return [...v]
  if (v instanceof Uint8Array && !Buffer.isBuffer(v)) return [...v]
  return v
}

export function toJson (v: unknown): string {
  if (typeof v === 'number') return Number.isFinite(v) ? String(v === 0 ? 0 : v) : 'null'
  // without a replacer, JSON.stringify skips a call per element: a [requests, bytes] pair 1.1-1.7 -> 0.2-0.35 us
  if (Array.isArray(v) && isScalars(v)) return JSON.stringify(v)
  return JSON.stringify(v, replacer) ?? 'null'
}

/** Whether the replacer would leave every element of `a` as it is. */
function isScalars (a: unknown[]): boolean {
  if (a.length > 16) return false
  for (let i = 0; i < a.length; i++) {
    const t = typeof a[i]
    if (t !== 'number' && t !== 'string' && t !== 'boolean') return false
  }
  return true
}

export function formatPair (format: OutputFormat, key: unknown, value: unknown): string {
  if (format === 'pairs') return packValue([plainKey(key), value]).toString('base64') + '\n'
  if (typeof value !== 'number') checkValue(value)
  if (format === 'ndjson') return toJson([key, value]) + '\n'
  const k = typeof key === 'string' ? escapeTsv(key) : toJson(key)
  const v = typeof value === 'string' ? escapeTsv(value) : toJson(value)
  return k + '\t' + v + '\n'
}

/**
 * A key as the next step of a chain gets it: -0 is 0 (docs/semantics.md: they are one key), as a
 * single step's reduce and a Hadoop run (JSON has no -0) see it.
 */
function plainKey (key: unknown): unknown {
  if (key === 0) return 0
  if (!Array.isArray(key) || !key.some(k => k === 0 || Array.isArray(k))) return key
  return key.map(plainKey)
}
