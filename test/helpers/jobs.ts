// A small family of job modules, as source text (jobs run in worker threads, so they are files).
// Every job here is deterministic and emits only JSON-safe values, so the oracle can predict the
// engine's output bytes. `combine`, where present, is associative and commutative.
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

// the package's entry, for jobs that import from it (they are written outside the package)
const PACKAGE = new URL('../../dist/bin/index.js', import.meta.url).href

export interface JobSource {
  name: string
  /** File extension: mjs (named exports), or cjs (module.exports). */
  ext: 'mjs' | 'cjs'
  source: string
  /** No reduce: the output is the map's pairs in input order. */
  mapOnly?: true
}

const sum = `function sum (key, values) {
  let n = 0
  for (const v of values) n += v
  return n
}`

export const jobs: Record<string, JobSource> = {
  wordcount: {
    name: 'wordcount',
    ext: 'mjs',
    source: `export function map (line, emit) {
  for (const w of line.split(/\\s+/)) if (w) emit(w, 1)
}
export ${sum.replace('function sum', 'function reduce')}
`,
  },
  wordcountCombine: {
    name: 'wordcountCombine',
    ext: 'mjs',
    source: `export function map (line, emit) {
  for (const w of line.split(/\\s+/)) if (w) emit(w, 1)
}
${sum}
export const reduce = sum
export const combine = sum
`,
  },
  // A default export object, and a combine that differs from reduce (its output is reduce's input).
  wordcountDefaultExport: {
    name: 'wordcountDefaultExport',
    ext: 'mjs',
    source: `${sum}
export default {
  map (line, emit) { for (const w of line.split(/\\s+/)) if (w) emit(w, 1) },
  combine: sum,
  reduce (w, counts, emit) {
    const n = sum(w, counts)
    emit(w, 'n=' + n)
    return n > 2 ? [n] : undefined
  },
}
`,
  },
  wordcountCjs: {
    name: 'wordcountCjs',
    ext: 'cjs',
    source: `${sum}
module.exports = {
  map (line, emit) { for (const w of line.split(/\\s+/)) if (w) emit(w, 1) },
  reduce: sum,
  combine: sum,
}
`,
  },
  // Per record: the first word (or null for a blank line) with the line's length in code points,
  // and the word count with the line number: integer sums, so any combine order gives one result.
  sumPerKey: {
    name: 'sumPerKey',
    ext: 'mjs',
    source: `export function map (line, emit, ctx) {
  const words = line.split(/\\s+/).filter(Boolean)
  emit(words.length > 0 ? words[0] : null, [...line].length)
  emit(words.length, ctx.line)
}
export ${sum.replace('function sum', 'function reduce')}
`,
  },
  sumPerKeyCombine: {
    name: 'sumPerKeyCombine',
    ext: 'mjs',
    source: `export function map (line, emit, ctx) {
  const words = line.split(/\\s+/).filter(Boolean)
  emit(words.length > 0 ? words[0] : null, [...line].length)
  emit(words.length, ctx.line)
}
${sum}
export { sum as reduce, sum as combine }
`,
  },
  // The list of a word's places, in the order reduce sees them: tests input order
  // (file order, then line order) and ctx.file / ctx.line.
  collectList: {
    name: 'collectList',
    ext: 'mjs',
    source: `export function map (line, emit, ctx) {
  const words = line.split(/\\s+/)
  const file = ctx.file.split('/').pop()
  for (let i = 0; i < words.length; i++) if (words[i]) emit(words[i], file + ':' + ctx.line + ':' + i)
}
export function reduce (word, places) {
  const out = []
  for (const p of places) out.push(p)
  return out
}
`,
  },
  // Composite keys [length in code points, word].
  composite: {
    name: 'composite',
    ext: 'mjs',
    source: `export function map (line, emit) {
  for (const w of line.split(/\\s+/)) if (w) emit([[...w].length, w], 1)
}
${sum}
export const reduce = sum
export const combine = sum
`,
  },
  // Keys of every type, parsed from the words: numbers (with -0, 0.0, 01 all equal to their
  // number), null, booleans, strings, nested arrays; plus pairs of such keys.
  mixedKeys: {
    name: 'mixedKeys',
    ext: 'mjs',
    source: `function toKey (w) {
  if (/^-?\\d+(\\.\\d+)?$/.test(w)) return Number(w)
  if (w === 'null') return null
  if (w === 'true') return true
  if (w === 'false') return false
  if (w.startsWith('[')) return [w.length % 3, w.slice(1), [w.length % 2 === 0, null]]
  return w
}
export function map (line, emit, ctx) {
  const words = line.split(/\\s+/).filter(Boolean)
  for (const w of words) emit(toKey(w), ctx.line)
  if (words.length >= 2) emit([toKey(words[0]), toKey(words[1])], words.length)
  if (words.length === 0) emit([], 0)
}
export function reduce (key, values) {
  return [...values]
}
`,
  },
  // Several pairs per record, values of several shapes (whole lines: with tabs and lone CRs to
  // escape), and a reduce that emits more than once and sometimes returns a value too.
  multiEmit: {
    name: 'multiEmit',
    ext: 'mjs',
    source: `export function map (line, emit, ctx) {
  emit(line.length % 7, line)
  const first = line.split(/\\s+/).find(Boolean)
  if (first !== undefined) emit(first, { n: ctx.line, last: line.slice(-1) === '\\r', words: line.split(/\\s+/).filter(Boolean).length })
  emit(true, 1)
  emit(ctx.line % 3 === 0 ? false : [ctx.line % 4, 'x'], ctx.line)
}
export function reduce (key, values, emit) {
  let n = 0
  let first
  let last
  for (const v of values) {
    if (n === 0) first = v
    last = v
    n++
  }
  emit(key, n)
  emit(key, first)
  if (n > 1) emit(key, last)
  return n % 2 === 0 ? 'even' : undefined
}
`,
  },
  // A reduce that reads only the first value: the engine must skip the rest of the key's values.
  firstOnly: {
    name: 'firstOnly',
    ext: 'mjs',
    source: `export function map (line, emit, ctx) {
  for (const w of line.split(/\\s+/)) if (w) emit(w.toLowerCase(), ctx.line)
}
export function reduce (word, lines) {
  for (const l of lines) return l
}
`,
  },
  // An async map: the engine awaits it before the next record.
  asyncMap: {
    name: 'asyncMap',
    ext: 'mjs',
    source: `export async function map (line, emit, ctx) {
  await null
  const words = line.split(/\\s+/).filter(Boolean)
  for (let i = 0; i < words.length; i++) {
    if ((ctx.line + i) % 13 === 0) await new Promise(resolve => setImmediate(resolve))
    emit(words[i], ctx.line)
  }
}
export function reduce (word, lines) {
  let s = ''
  for (const l of lines) s += l + ','
  return s
}
`,
  },
  // Array values [count, code points, greatest word form] per lower-cased word, combined: the
  // map side's two-value combining keeps short flat arrays in place (sort-buffer.ts).
  pairSums: {
    name: 'pairSums',
    ext: 'mjs',
    source: `export function map (line, emit) {
  for (const w of line.split(/\\s+/)) if (w) emit(w.toLowerCase(), [1, [...w].length, w])
}
export function reduce (word, values) {
  let n = 0
  let chars = 0
  let most = ''
  for (const [a, b, c] of values) {
    n += a
    chars += b
    if (c > most) most = c
  }
  return [n, chars, most]
}
export const combine = reduce
`,
  },
  // Arrays of numbers under a user's combine that adds into its first value in place: the map
  // side keeps such arrays of one width in a Float64Array (sort-buffer.ts). Widths differ (a word
  // of one letter gets [1]; a line's number of words gets 3 numbers), a plain number now and
  // then, halves and -0: exact in binary, so any combine order gives the same bytes.
  tupleSums: {
    name: 'tupleSums',
    ext: 'mjs',
    source: `export function map (line, emit, ctx) {
  const words = line.split(/\\s+/).filter(Boolean)
  for (const w of words) {
    const k = w.toLowerCase()
    if (ctx.line % 7 === 0) emit(k, 1)
    else if (k.length === 1) emit(k, [1])
    else emit(k, [1, ctx.line % 2 === 0 ? 0.5 : -0])
  }
  emit('#words', [1, words.length, ctx.line % 3 === 0 ? -0 : 0.25])
}
export function reduce (key, values) {
  let acc
  for (const v of values) {
    const a = typeof v === 'number' ? [v] : v
    if (acc === undefined) { acc = a; continue }
    for (let i = 0; i < a.length; i++) acc[i] = i < acc.length ? acc[i] + a[i] : a[i]
  }
  return acc
}
export const combine = reduce
`,
  },
  // One key per character: many unicode keys, astral and U+E000..U+FFFF side by side; TAB, CR
  // and NUL keys to escape (or not) in TSV.
  chars: {
    name: 'chars',
    ext: 'mjs',
    source: `export function map (line, emit) {
  for (const ch of line) emit(ch, 1)
}
${sum}
export const reduce = sum
export const combine = sum
`,
  },
  // The built-in sum as combine and reduce: counts per word (numbers), and per line length
  // [1, length, a half, -0 now and then] arrays
  // under string keys and one-number arrays under number keys (exact in binary, so that any
  // grouping of the additions gives the same bytes).
  builtinSum: {
    name: 'builtinSum',
    ext: 'mjs',
    source: `import { sum } from ${JSON.stringify(PACKAGE)}
export function map (line, emit, ctx) {
  for (const w of line.split(/\\s+/)) if (w) emit(w, 1)
  emit('len' + (line.length % 5), [1, line.length, ctx.line % 2 === 0 ? 0.5 : -0, ctx.line % 3 === 0 ? -0 : ctx.line])
  emit(line.length % 3, [ctx.line % 2 === 0 ? -0 : 2])
}
export const reduce = sum
export const combine = sum
`,
  },
  // The built-in identity reducer, whose lines are copied from the runs as bytes where key and
  // value are strings with nothing to escape (reduce.ts): whole lines as keys (with tabs, CRs,
  // NULs, non-ASCII and very long ones), string values to copy or escape, number values, and
  // keys of other types, within one key's values too.
  identityReduce: {
    name: 'identityReduce',
    ext: 'mjs',
    source: `import { identity } from ${JSON.stringify(PACKAGE)}
export function map (line, emit, ctx) {
  emit(line, '')
  const first = line.split(/\\s+/).find(Boolean)
  if (first !== undefined) emit(first, ctx.line % 3 === 0 ? ctx.line : [...line].slice(0, 40).join(''))
  if (ctx.line % 5 === 0) emit([line.length % 3, first ?? null], { at: ctx.line })
}
export const reduce = identity
`,
  },
  // groupBy = 1 (a secondary sort): one reduce call per first character of a word, its values
  // in the order of the rest of the key: numbers (-0 among them) before strings, shorter keys
  // first, equal keys in input order. Some groups are read only in part.
  groupFirst: {
    name: 'groupFirst',
    ext: 'mjs',
    source: `export const groupBy = 1
export function map (line, emit, ctx) {
  const words = line.split(/\\s+/).filter(Boolean)
  for (let i = 0; i < words.length; i++) {
    const w = words[i]
    const chars = [...w]
    const order = i % 3 === 0 ? (chars.length % 4 === 0 ? -0 : -chars.length) : w.toLowerCase()
    emit(i % 4 === 1 ? [chars[0], order] : [chars[0], order, ctx.line % 3], ctx.line + ':' + i)
  }
  if (words.length === 0) emit([null, ctx.line % 2 === 0], ctx.line)
}
export function reduce (first, places) {
  const out = []
  for (const p of places) {
    out.push(p)
    if (typeof first === 'string' && first < 'b' && out.length === 2) break
  }
  return out
}
`,
  },
  // groupBy = 2 with a combiner (applied per whole key): [line length % 3, lower case?] groups,
  // values [word, count] in word order; reduce merges runs of one word, whatever was combined.
  groupPairCombine: {
    name: 'groupPairCombine',
    ext: 'mjs',
    source: `export const groupBy = 2
export function map (line, emit) {
  for (const w of line.split(/\\s+/)) if (w) emit([line.length % 3, w === w.toLowerCase(), w], [w, 1])
}
export function combine (key, values) {
  let n = 0
  for (const [, c] of values) n += c
  return [key[2], n]
}
export function reduce (group, values, emit) {
  const out = []
  for (const [w, n] of values) {
    const last = out[out.length - 1]
    if (last !== undefined && last[0] === w) last[1] += n
    else out.push([w, n])
  }
  emit(group, out.length)
  return out
}
`,
  },
  // A map-only job (reduce omitted): a filter and a transform; the pairs, keys of several types,
  // whole lines (tabs and CRs to escape) and -0 among the values, are the output in input order.
  mapOnly: {
    name: 'mapOnly',
    ext: 'mjs',
    mapOnly: true,
    source: `export function map (line, emit) {
  const words = line.split(/\\s+/).filter(Boolean)
  if (words.length === 0) return
  emit(words[0], line)
  if (words.length > 1) emit([words.length, words[1]], words.length % 2 === 0 ? null : [words[0].length, true])
  if (/^-?\\d+$/.test(words[0])) emit(Number(words[0]), -0)
}
`,
  },
  // Map-only, declared (reduce: null) in a default export: line numbers and lengths.
  mapOnlyDeclared: {
    name: 'mapOnlyDeclared',
    ext: 'mjs',
    mapOnly: true,
    source: `export default {
  map (line, emit, ctx) { if (ctx.line % 3 !== 1) emit(ctx.line, [...line].length) },
  reduce: null,
}
`,
  },
}

export const jobNames = Object.keys(jobs)

/** Writes a job's source into `dir` and returns the file's absolute path. */
export function writeJob (dir: string, job: JobSource, name = job.name): string {
  mkdirSync(dir, { recursive: true })
  const path = join(dir, `${name}.${job.ext}`)
  writeFileSync(path, job.source)
  return path
}
