// Records from one chunk of input bytes (line-aligned, or a whole file for --format file),
// by format. A whole chunk at a time, no per-record stream events: text decoded as latin1 in
// strings of about 64 KB, each split once, and only non-ASCII lines decoded again as UTF-8.
import { isAscii, isUtf8 } from 'node:buffer'
import { parseCsv } from './csv.js'
import { MrstreamError } from '../errors.js'
import { unpackValue, unpackValues } from '../codec/values.js'
import { isAscii as isAsciiRange, latin1Slice, utf8Slice, viewOf } from '../codec/bytes.js'
import type { LineBase } from './line-base.js'

/**
 * Internal formats: `pairs`, the [key, value] records a chain's step passes to the next;
 * `records`, values the library's caller gave as records (object mode), packed one after another.
 */
export type Format = 'lines' | 'ndjson' | 'csv' | 'file' | 'pairs' | 'records'

/** Chunks are 64 KB at most (plan.ts), unless they hold a line longer than that: past this, they do (see garbage.ts). */
export const LARGE_CHUNK = 1 << 20

/** A chunk of one input file, as sent from the reader to a map task. */
export interface Chunk {
  file: string
  /**
   * Line number (1-based) of the chunk's first byte within its file; with `base`, counted from
   * 0 at the split's first line, whose number `base` gives (when the count has got there).
   */
  firstLine: number
  base?: LineBase
  data: Uint8Array
  /**
   * Set by the map task that read the chunk: how many lines it held (the next chunk of a split
   * counts its lines on from there, without a pass of its own over the bytes).
   */
  lines?: number
  /** csv: the file's header row. */
  columns?: string[]
  /** The input's format (inputs of one task may differ: formats.ts); else the task's. */
  format?: Format
}

export class RecordError extends Error {
  /** `record`: its text, for the list of skipped records (--stats). */
  constructor (message: string, readonly line: number, readonly column?: number, readonly record = '') { super(message) }

  /** As the job reports it: the input's name, line (`line`: this one, made absolute) and column. */
  named (file: string, line = this.line): MrstreamError {
    const column = this.column ? { column: this.column } : {}
    return new MrstreamError('MRS_ERR_PARSE', `input: cannot parse ${file}:${line}${this.column ? `:${this.column}` : ''}: ${this.message}`, { phase: 'input', file, line, ...column })
  }
}

export interface ChunkRecords {
  /** Records in order, with each one's line number (null: record i is on line firstLine + i). */
  records: unknown[]
  lines: number[] | null
  /**
   * `lines` format, valid UTF-8: where line i's bytes end in the chunk (before its newline, after
   * a CR the record dropped); line i + 1 starts one byte later. Else null.
   */
  ends: number[] | null
  /** The first line (0 for the chunk's first) longer than the maxLineBytes asked for; -1 if none. */
  longLine: number
  /** Records that held invalid UTF-8 (decoded with U+FFFD). */
  invalidUtf8: number
  /** Records that failed to parse (ndjson/csv); each also in `errors`. */
  errors: RecordError[]
}

export function recordsOf (chunk: Chunk, format: Format, maxLineBytes = Infinity): ChunkRecords {
  const buf = Buffer.from(chunk.data.buffer, chunk.data.byteOffset, chunk.data.byteLength)
  const out: ChunkRecords = { records: [], lines: [], ends: null, longLine: -1, invalidUtf8: 0, errors: [] }
  if (format === 'file') {
    if (!isUtf8(buf)) out.invalidUtf8 = 1
    out.records.push(buf.toString('utf8'))
    out.lines!.push(1)
    return out
  }
  if (format === 'csv') return csvRecords(buf, chunk, out)
  if (format === 'records') {
    out.records = unpackValues(buf)
    out.lines = null
    return out
  }
  const ascii = isAscii(buf)
  const ends = format === 'lines' ? [] : undefined
  const lines = ascii ? latin1Lines(buf, ends, maxLineBytes) : utf8Lines(buf, ends, maxLineBytes)
  out.longLine = firstLong
  chunk.lines = lines.length
  if (!ascii && !isUtf8(buf)) out.invalidUtf8 = countInvalidLines(buf)
  const cr = buf.includes(13)
  if (format === 'lines') {
    // the split array is the records array: no copy, and no per-line work without CRs
    if (cr) for (let i = 0; i < lines.length; i++) if (lines[i]!.charCodeAt(lines[i]!.length - 1) === 13) lines[i] = lines[i]!.slice(0, -1)
    out.records = lines
    out.lines = null
    // (U+FFFD in a record is not its bytes)
    if (out.invalidUtf8 === 0) out.ends = ends!
    return out
  }
  if (format === 'pairs') {
    out.records = lines.map(l => unpackValue(Buffer.from(l, 'base64')))
    out.lines = null
    return out
  }
  let line = chunk.firstLine
  for (let i = 0; i < lines.length; i++, line++) {
    let l = lines[i]!
    if (cr && l.charCodeAt(l.length - 1) === 13) l = l.slice(0, -1)
    if (l.trim() !== '') {
      try {
        out.records.push(JSON.parse(l))
        out.lines!.push(line)
      } catch (e) {
        const m = /position (\d+)/.exec((e as Error).message)
        out.errors.push(new RecordError(`invalid JSON: ${(e as Error).message}`, line, m ? Number(m[1]) + 1 : undefined, l))
      }
    }
  }
  return out
}

/**
 * Lines decoded as latin1 (ASCII's decoding too), straight into one-byte strings of about
 * PIECE bytes of whole lines, each split once. Not one string a chunk: over 128 KB, V8 puts a string in its large-object
 * space, where only a full collection frees it, and each 1 MB chunk string made the heap grow
 * towards one (slower, and more peak RSS).
 */
function latin1Lines (buf: Buffer, ends?: number[], max = Infinity): string[] {
  const lines: string[] = []
  firstLong = -1
  for (let from = 0; from < buf.length;) {
    // whole lines: up to the last newline within PIECE bytes (or past one long line; or the rest)
    let to = buf.length
    if (from + PIECE < buf.length) {
      const nl = buf.lastIndexOf(10, from + PIECE - 1)
      to = nl >= from ? nl + 1 : buf.indexOf(10, from + PIECE) + 1 || buf.length
    }
    const piece = latin1Slice(buf, from, to).split('\n')
    if (piece[piece.length - 1] === '') piece.pop() // the piece ends with a newline
    for (let i = 0; i < piece.length; i++) {
      // (a latin1 character is one byte)
      if (piece[i]!.length > max && firstLong === -1) firstLong = lines.length
      lines.push(piece[i]!)
    }
    if (ends !== undefined) {
      // (a latin1 character is one byte)
      let at = from
      for (let i = 0; i < piece.length; i++) {
        at += piece[i]!.length
        ends.push(at)
        at++
      }
    }
    from = to
  }
  return lines
}

const PIECE = 64 << 10
/** Set by latin1Lines: its first line longer than `max` bytes, or -1. */
let firstLong = -1

/**
 * Other text: one non-ASCII character made a whole chunk's UTF-8 string two-byte, and every
 * line a slice of it (measured 10 -> 3.5-6 ms a MB to decode line by line; one-byte lines are
 * cheaper to hash, sort and write). So the chunk is decoded as latin1 and split once, as ASCII
 * is (a latin1 character is one byte: a line's offset in the string is its offset in the
 * bytes), and only the lines that are not all ASCII are decoded again, from their bytes, as
 * UTF-8: a call into C++ for those, not for every line (text lines, 15% of them non-ASCII:
 * 5.8-5.9 -> 4.0-4.2 ms a MB).
 */
function utf8Lines (buf: Buffer, ends?: number[], max = Infinity): string[] {
  const lines = latin1Lines(buf, ends, max)
  const view = viewOf(buf)
  let at = 0
  for (let i = 0; i < lines.length; i++) {
    const len = lines[i]!.length
    if (!isAsciiRange(view, at, at + len)) lines[i] = utf8Slice(buf, at, at + len)
    at += len + 1
  }
  return lines
}

function countInvalidLines (buf: Buffer): number {
  let n = 0
  let from = 0
  while (from < buf.length) {
    let nl = buf.indexOf(10, from)
    if (nl === -1) nl = buf.length
    if (!isUtf8(buf.subarray(from, nl))) n++
    from = nl + 1
  }
  return n
}

/** Where a row csv-parse read starts: its raw text ends at `end`, after the blank lines skipped before it. */
function rowStart (bytes: Uint8Array, end: number, raw: string): number {
  let start = end - Buffer.byteLength(raw, 'utf8')
  while (bytes[start] === 10 || bytes[start] === 13) start++
  return start
}

/** The line of each byte offset asked for, in increasing order, counting from `firstLine` at 0. */
function lineCounter (bytes: Uint8Array, firstLine: number): (at: number) => number {
  let pos = 0
  let line = firstLine
  return at => {
    for (; pos < at; pos++) if (bytes[pos] === 10) line++
    return line
  }
}

/** csv-parse's message without its own line numbers (counted from the chunk, not the file: the error names the file's line). */
function csvMessage (err: Error): string {
  return err.message.replace(/,? (?:on|at) line \d+/g, '')
}

/** Where the last row starts: past the last newline outside quotes. */
function lastRowStart (bytes: Uint8Array): number {
  let quoted = false
  let start = 0
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] === 34) quoted = !quoted
    else if (bytes[i] === 10 && !quoted) start = i + 1
  }
  return start
}

function csvRecords (buf: Buffer, chunk: Chunk, out: ChunkRecords): ChunkRecords {
  if (!isUtf8(buf)) out.invalidUtf8 = countInvalidLines(buf)
  const text = buf.toString('utf8')
  // csv-parse's offsets are in UTF-8 bytes of the text it parsed
  const bytes = out.invalidUtf8 === 0 ? buf : Buffer.from(text, 'utf8')
  // A row's line is counted from its first byte, not taken from csv-parse's line count: that
  // charges blank lines and skipped rows to the next row, and counts a CRLF inside quotes twice.
  const skipped: Array<{ message: string, at: number, raw: string }> = []
  let fatal: RecordError | undefined
  try {
    const rows = parseCsv(text, {
      columns: chunk.columns,
      info: true,
      raw: true,
      skip_empty_lines: true,
      skip_records_with_error: true,
      on_skip: (err: (Error & { bytes?: number, raw?: string, code?: string }) | undefined) => {
        // (an unclosed quote runs to the end, where csv-parse's offset is not the row's: its row is the last that starts outside quotes)
        const at = err?.code === 'CSV_QUOTE_NOT_CLOSED' ? lastRowStart(bytes) : rowStart(bytes, err?.bytes ?? 0, err?.raw ?? '')
        if (err) skipped.push({ message: `invalid CSV: ${csvMessage(err)}`, at, raw: err.raw ?? '' })
      },
    }) as unknown as Array<{ record: Record<string, string>, raw: string, info: { bytes: number } }>
    const rowLineAt = lineCounter(bytes, chunk.firstLine)
    for (const r of rows) {
      out.records.push(r.record)
      out.lines!.push(rowLineAt(rowStart(bytes, r.info.bytes, r.raw)))
    }
  } catch (e) {
    // a row csv-parse cannot skip (an unclosed quote) ends the chunk
    const err = e as Error & { lines?: number }
    const start = lastRowStart(bytes)
    fatal = new RecordError(`invalid CSV: ${csvMessage(err)}`, lineCounter(bytes, chunk.firstLine)(start), undefined, bytes.subarray(start, start + 200).toString('utf8'))
  }
  const lineAt = lineCounter(bytes, chunk.firstLine)
  for (const s of skipped) out.errors.push(new RecordError(s.message, lineAt(s.at), undefined, s.raw.replace(/[\r\n]+$/, '')))
  if (fatal !== undefined) out.errors.push(fatal)
  return out
}
