// The sequential reference: the simplest in-memory implementation of docs/semantics.md and docs/guarantees.md for
// `--format lines` input, which every end-to-end test compares the engine against (as
// MIT 6.5840's mrsequential). It is written for obviousness, not speed, and shares no code
// with lib/: keys are grouped by their JSON text and ordered by a comparator of its own.
//
// Invariants it states:
// - records are the input files' lines in command-line order, then line order;
// - a key's values reach `reduce` in that order (the oracle never calls `combine`: for a valid
//   job, combining must not change the result);
// - keys reach `reduce` in ascending docs/semantics.md order; the output is each reduce call's emits in
//   call order, then its return value when that is not undefined;
// - with `groupBy = n`, keys are arrays of n or more elements and reduce is called once per
//   group of keys with equal first n elements (ordered as those elements), with the first
//   element (n = 1) or the first n as its key, and the group's values in the order of their
//   whole keys, equal keys' values in input order.
// - a map-only job (no reduce) outputs its map's pairs as emitted, in input order.
import { readFileSync } from 'node:fs'
import { gunzipSync } from 'node:zlib'
import { pathToFileURL } from 'node:url'

export type Key = null | boolean | number | string | Key[]
export type Emit = (key: unknown, value: unknown) => void
export interface Ctx {
  file?: string
  line?: number
  count: (name: string, n?: number) => void
}
export interface Job {
  map: (record: unknown, emit: Emit, ctx: Ctx) => unknown
  /** None for a map-only job. */
  reduce?: ((key: unknown, values: Iterable<unknown>, emit: Emit, ctx: Ctx) => unknown) | null
  combine?: (key: unknown, values: Iterable<unknown>, emit: Emit, ctx: Ctx) => unknown
  groupBy?: number
}
export interface InputRecord {
  /** The file name as given on the command line (`-` for stdin). */
  file: string
  /** 1-based record number within that file. */
  line: number
  record: string
}
export interface InputFile {
  /** The name as given on the command line (`-` for stdin). */
  name: string
  /** The bytes as stored (gzip included: decompressed here when they start with the magic). */
  bytes: Buffer
}

// ---- input ------------------------------------------------------------------------------

/** `--format lines`: each line without its `\n` or `\r\n`; empty lines are records too. */
export function linesOf (bytes: Buffer): string[] {
  const text = isGzip(bytes) ? gunzipSync(bytes) : bytes
  const out: string[] = []
  let start = 0
  for (;;) {
    const nl = text.indexOf(10, start)
    if (nl === -1) {
      if (start < text.length) out.push(text.subarray(start).toString('utf8'))
      return out
    }
    const end = nl > start && text[nl - 1] === 13 ? nl - 1 : nl
    out.push(text.subarray(start, end).toString('utf8'))
    start = nl + 1
  }
}

function isGzip (b: Buffer): boolean {
  return b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b
}

/** Every record of the inputs, in input order. */
export function recordsOf (files: InputFile[]): InputRecord[] {
  const out: InputRecord[] = []
  for (const f of files) {
    const lines = linesOf(f.bytes)
    for (let i = 0; i < lines.length; i++) out.push({ file: f.name, line: i + 1, record: lines[i]! })
  }
  return out
}

/** Reads files from disk under the names given (no stdin). */
export function readInputs (paths: string[]): InputFile[] {
  return paths.map(p => ({ name: p, bytes: readFileSync(p) }))
}

// ---- keys -------------------------------------------------------------------------------

/** docs/semantics.md's key check; the oracle refuses what the engine must refuse. */
export function isKey (k: unknown): k is Key {
  if (k === null || typeof k === 'boolean' || typeof k === 'string') return true
  if (typeof k === 'number') return Number.isFinite(k)
  if (Array.isArray(k)) return k.every(isKey)
  return false
}

function rank (k: Key): number {
  if (k === null) return 0
  if (k === false) return 1
  if (k === true) return 2
  if (typeof k === 'number') return 3
  if (typeof k === 'string') return 4
  return 5
}

/** Strings by Unicode code point (= UTF-8 byte order), not by UTF-16 code unit as JS `<`. */
export function compareStrings (a: string, b: string): number {
  let i = 0
  let j = 0
  while (i < a.length && j < b.length) {
    const ca = a.codePointAt(i)!
    const cb = b.codePointAt(j)!
    if (ca !== cb) return ca < cb ? -1 : 1
    i += ca > 0xffff ? 2 : 1
    j += cb > 0xffff ? 2 : 1
  }
  const restA = a.length - i
  const restB = b.length - j
  return restA === restB ? 0 : restA > restB ? 1 : -1
}

/** docs/semantics.md: null < false < true < numbers < strings < arrays; arrays element-wise, shorter first. */
export function compareKeys (a: Key, b: Key): number {
  const ra = rank(a)
  const rb = rank(b)
  if (ra !== rb) return ra < rb ? -1 : 1
  if (typeof a === 'number') return a < (b as number) ? -1 : a > (b as number) ? 1 : 0 // -0 == 0
  if (typeof a === 'string') return compareStrings(a, b as string)
  if (Array.isArray(a)) {
    const bb = b as Key[]
    const n = Math.min(a.length, bb.length)
    for (let i = 0; i < n; i++) {
      const c = compareKeys(a[i]!, bb[i]!)
      if (c !== 0) return c
    }
    return a.length === bb.length ? 0 : a.length < bb.length ? -1 : 1
  }
  return 0 // null, false, true: equal within their rank
}

/** The key with every -0 made 0 (keys -0 and 0 are one key). */
function normalizeKey (k: Key): Key {
  if (typeof k === 'number') return k === 0 ? 0 : k
  if (Array.isArray(k)) return k.map(normalizeKey)
  return k
}

// ---- output -----------------------------------------------------------------------------

/** One TSV field: strings as is with `\`, TAB, CR, LF escaped; anything else as JSON. */
export function tsvField (x: unknown): string {
  if (typeof x === 'string') {
    return x.replace(/[\\\t\r\n]/g, c => c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\r' ? '\\r' : '\\n')
  }
  const s = JSON.stringify(x)
  if (s === undefined) throw new Error(`oracle: ${String(x)} has no JSON form; keep test values JSON-safe`)
  return s
}

export type OutputFormat = 'tsv' | 'ndjson'

export function formatPairs (pairs: Array<[unknown, unknown]>, format: OutputFormat = 'tsv'): Buffer {
  let out = ''
  for (const [k, v] of pairs) {
    out += format === 'ndjson' ? JSON.stringify([k, v]) + '\n' : tsvField(k) + '\t' + tsvField(v) + '\n'
  }
  return Buffer.from(out, 'utf8')
}

// ---- the job ----------------------------------------------------------------------------

/** Imports a job module as the engine would see its functions (named, default, or CJS exports). */
export async function loadJob (path: string): Promise<Job> {
  const mod = await import(pathToFileURL(path).href) as Record<string, unknown>
  // A CommonJS module's named exports are guessed by Node's lexer (it may find `map` but not
  // `reduce` in `module.exports = { map () {}, reduce }`), so fall back to the default export.
  const complete = (o: unknown): o is Job => !!o && typeof (o as Job).map === 'function' && typeof (o as Job).reduce === 'function'
  const hasMap = (o: unknown): o is Job => !!o && typeof (o as Job).map === 'function'
  const fns = (complete(mod) ? mod : complete(mod.default) ? mod.default : hasMap(mod) ? mod : mod.default) as Partial<Job> | undefined
  if (!fns || typeof fns.map !== 'function' || (fns.reduce != null && typeof fns.reduce !== 'function')) {
    throw new Error(`oracle: ${path} exports no map (or a reduce that is not a function)`)
  }
  return { map: fns.map, reduce: fns.reduce, combine: fns.combine, groupBy: fns.groupBy }
}

/** A one-pass iterable over a key's values, as the engine gives them. */
function onePass<T> (values: T[]): Iterable<T> {
  let used = false
  return {
    [Symbol.iterator] () {
      if (used) throw new Error('oracle: values iterated twice (they are one-pass)')
      used = true
      return values[Symbol.iterator]()
    },
  }
}

/** Maps and reduces the records; returns the output pairs in output order. */
export async function runJobPairs (job: Job, records: InputRecord[]): Promise<Array<[unknown, unknown]>> {
  const groups = new Map<string, { key: Key, values: unknown[] }>()
  const noCount = (): void => {}
  const reduce = job.reduce
  const mapped: Array<[unknown, unknown]> = []
  for (const r of records) {
    const emit: Emit = (key, value) => {
      if (!isKey(key)) throw new Error(`oracle: ${r.file}:${r.line}: map emitted a key that is not a key: ${String(key)}`)
      if (reduce == null) { mapped.push([key, value]); return }
      const id = JSON.stringify(key) // one text per key: -0 -> "0", 1 vs "1" distinct
      let g = groups.get(id)
      if (!g) groups.set(id, g = { key: normalizeKey(key), values: [] })
      g.values.push(value)
    }
    const ret = job.map(r.record, emit, { file: r.file, line: r.line, count: noCount })
    if (ret && typeof (ret as Promise<unknown>).then === 'function') await ret
  }
  if (reduce == null) return mapped
  const sorted = [...groups.values()].sort((a, b) => compareKeys(a.key, b.key))
  const out: Array<[unknown, unknown]> = []
  for (const g of job.groupBy === undefined ? sorted : byGroup(sorted, job.groupBy)) {
    const emit: Emit = (k, v) => { out.push([k, v]) }
    const ret = reduce(g.key, onePass(g.values), emit, { count: noCount })
    if (ret !== undefined) out.push([g.key, ret])
  }
  return out
}

/** Keys in order, joined into their groups of equal first n elements: each group's values in its keys' order. */
function byGroup (sorted: Array<{ key: Key, values: unknown[] }>, n: number): Array<{ key: Key, values: unknown[] }> {
  const out: Array<{ key: Key, values: unknown[] }> = []
  for (const { key, values } of sorted) {
    if (!Array.isArray(key) || key.length < n) throw new Error(`oracle: groupBy = ${n} and a key ${JSON.stringify(key)} that is not an array of ${n} or more`)
    const group = n === 1 ? key[0]! : key.slice(0, n)
    const last = out[out.length - 1]
    if (last !== undefined && compareKeys(last.key, group) === 0) last.values.push(...values)
    else out.push({ key: group, values: [...values] })
  }
  return out
}

/** The expected output bytes of `mrstream --job <job> --output-format <format> <inputs>`. */
export async function oracle (job: Job, inputs: InputFile[], format: OutputFormat = 'tsv'): Promise<Buffer> {
  return formatPairs(await runJobPairs(job, recordsOf(inputs)), format)
}
