// `mrstream init NAME.js|NAME.ts`: a commented job to start from (a word count), never over
// an existing file.
import { writeFileSync } from 'node:fs'
import { basename, extname } from 'node:path'
import { MrstreamError } from '../errors.js'

const HEAD = (name: string): string => `// A mrstream job. Run it with:
//   mrstream --job ${name} INPUT...        (stdin when no INPUT; -o FILE to write a file)
// More: mrstream --help, and jobs.md in mrstream's docs/.
`

const MAP_DOC = `
// map is called once per input record: a line (the default), a parsed NDJSON value (.ndjson,
// .jsonl) or a CSV row as an object keyed by its header (.csv). It emits key/value pairs.
// Keys: strings, numbers, booleans, null, or arrays of them. Values: any JSON-like data.
// ctx.file and ctx.line tell where the record came from; ctx.count(name, n) adds to a counter
// printed at the end (-v).
`

const REDUCE_DOC = `
// reduce is called once per key, in key order, with every value map emitted for it.
// values is ONE-PASS: iterate it once with for...of; it has no .length and no [i].
// [...values] makes an array (holding all of the key's values in memory).
// What reduce returns is written with its key (key<TAB>value); to write several lines, or
// none, call emit(key, value) and return nothing.
`

const COMBINE_DOC = `
// Optional: combine folds a key's values early, in each map task, so that less is sorted and
// written to disk. Its output goes to reduce (or to combine again), so it must return values
// of the kind map emits. A sum can; delete this line if your reduce is not like that.
export const combine = reduce
`

const JS = (name: string): string => `${HEAD(name)}${MAP_DOC}export function map (line, emit, ctx) {
  for (const word of line.split(/\\s+/)) {
    if (word !== '') emit(word.toLowerCase(), 1)
  }
}
${REDUCE_DOC}export function reduce (word, values, emit, ctx) {
  let n = 0
  for (const v of values) n += v
  return n
}
${COMBINE_DOC}`

const TS = (name: string): string => `${HEAD(name)}// Type-check it with --typecheck (TypeScript installed beside it); without, types are stripped.
import type { Context, Emit } from 'mrstream'
${MAP_DOC}export function map (line: string, emit: Emit, ctx: Context): void {
  for (const word of line.split(/\\s+/)) {
    if (word !== '') emit(word.toLowerCase(), 1)
  }
}
${REDUCE_DOC}export function reduce (word: string, values: Iterable<number>, emit: Emit, ctx: Context): number {
  let n = 0
  for (const v of values) n += v
  return n
}
${COMBINE_DOC}`

/** Writes the job skeleton to `file` (.js .mjs .ts .mts); refuses an existing file. */
export function initJob (file: string): void {
  const ext = extname(file)
  const text = ext === '.js' || ext === '.mjs' ? JS(basename(file)) : ext === '.ts' || ext === '.mts' ? TS(basename(file)) : undefined
  if (text === undefined) throw new MrstreamError('MRS_ERR_USAGE', `init ${file}: give a name ending in .js, .mjs, .ts or .mts`)
  try {
    writeFileSync(file, text, { flag: 'wx' })
  } catch (e) {
    const err = e as NodeJS.ErrnoException
    throw new MrstreamError('MRS_ERR_USAGE', err.code === 'EEXIST' ? `init ${file}: it exists; init writes a new file only` : `init ${file}: ${err.message}`, { file }, e)
  }
}
