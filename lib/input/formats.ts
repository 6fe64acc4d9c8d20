// Which format each input is read in: its own (`FILE:FORMAT`), else --format, else its name's
// extension (`.csv`, `.ndjson`/`.jsonl`, each maybe followed by `.gz`), else lines. So one run
// can join a CSV and an NDJSON input, and ctx.file tells the job which record came from which.
import type { Format } from './records.js'

/** The formats a user can ask for (`pairs` is internal: a chain's step to the next). */
export const userFormats = ['lines', 'ndjson', 'csv', 'file'] as const
export type UserFormat = typeof userFormats[number]

const SUFFIX = /:(lines|ndjson|csv|file)$/

/**
 * An INPUT argument: `FILE:FORMAT` when it ends with `:` and a format's name (`-:csv` is stdin
 * as CSV), else the file alone. A file whose own name ends so is given with its format after it
 * (`odd:csv:lines`).
 */
export function parseInput (arg: string): { name: string, format?: UserFormat } {
  const m = SUFFIX.exec(arg)
  if (m === null || m.index === 0) return { name: arg }
  return { name: arg.slice(0, m.index), format: m[1] as UserFormat }
}

/** The format a file's name implies: `.csv`, `.ndjson`, `.jsonl` (then maybe `.gz`); else lines. */
export function formatOfName (name: string): UserFormat {
  const base = name.toLowerCase().replace(/\.gz$/, '')
  if (base.endsWith('.csv')) return 'csv'
  if (base.endsWith('.ndjson') || base.endsWith('.jsonl')) return 'ndjson'
  return 'lines'
}

/** Each input's format: its own, else `forced` (--format), else by its name (stdin: lines). */
export function inputFormats (names: string[], own: Array<Format | undefined> | undefined, forced: Format | undefined): Format[] {
  return names.map((name, i) => own?.[i] ?? forced ?? (name === '-' ? 'lines' : formatOfName(name)))
}
