// Input splits: a regular, uncompressed file of lines is cut into byte ranges of whole lines
// that map tasks read themselves, as Hadoop's input splits. No input bytes cross between
// threads (copying every chunk into the worker cost the main thread 0.26 s per 64 MB, a
// fifth of what a log job's map costs), a task can be large (fewer runs to merge), and a
// retried task reads its range again. A split's end is found by reading where it should end,
// so every split is handed out at once. Line numbers are absolute (ctx.line, error messages):
// a split's first one is published by a count of the file's lines, which the main thread makes
// only once a task asks for one (a job that reads ctx.line, an error), and a task waits only
// then, until the count gets there. The workers check --max-line-bytes as they split lines.
import { closeSync, openSync, readSync, promises as fsp } from 'node:fs'
import { MrstreamError } from '../errors.js'
import { BOM, countLines, lineTooLong } from './lines.js'
import type { Chunk, Format } from './records.js'
import { LineBase } from './line-base.js'

/**
 * Whole lines of one file: `length` bytes from `offset`. `name` is the file as the job
 * (ctx.file) and messages know it: its path, or for a chain's later step the step before's
 * output (a temp file's path would change from run to run). `fileSize`: the file's size when
 * it was split (a log that grows meanwhile is read, and counted, no further). `lineBase` is where the count
 * publishes the split's first line number (see LineBase): shared memory, the same in every thread.
 */
export interface Split { file: string, name: string, offset: number, length: number, fileSize: number, lineBase: SharedArrayBuffer, format?: Format }

const SCAN_BYTES = 4 << 20
// read where a split should end, to find the line end there
const PROBE_BYTES = 64 << 10

async function openInput (file: string, name: string): Promise<fsp.FileHandle> {
  try {
    return await fsp.open(file)
  } catch (e) {
    throw new MrstreamError('MRS_ERR_INPUT', `input ${name}: ${(e as Error).message}`, { phase: 'input', file: name }, e)
  }
}

/** Reads into buf at file position pos (at most size - pos bytes); names the file on failure. */
function reader (fh: fsp.FileHandle, file: string, where: () => string) {
  return async (buf: Buffer, pos: number, size: number): Promise<number> => {
    try {
      return (await fh.read(buf, 0, Math.min(buf.length, size - pos), pos)).bytesRead
    } catch (e) {
      throw new MrstreamError('MRS_ERR_INPUT', `input ${file}: read failed ${where()}: ${(e as Error).message}`, { phase: 'input', file }, e)
    }
  }
}

/** Where the lines of a file start: past a UTF-8 BOM. */
async function bodyStart (read: (buf: Buffer, pos: number, size: number) => Promise<number>, size: number): Promise<number> {
  const head = Buffer.allocUnsafe(3)
  return size >= 3 && (await read(head, 0, size)) === 3 && head.equals(BOM) ? 3 : 0
}

/**
 * The file's splits of about `splitBytes` each, in order, their line numbers to come
 * (countSplitLines; the first's is 1). A split ends at the first line end `splitBytes` or more
 * after its start, found by reading there. Where no line ends within maxLineBytes of it, the
 * lines are counted up to the long one, which fails the job, named.
 */
export async function * splitsOf (file: string, splitBytes: number, maxLineBytes: number, name = file, format?: Format): AsyncGenerator<Split> {
  const fh = await openInput(file, name)
  try {
    const read = reader(fh, name, () => 'while finding where its splits end')
    const size = (await fh.stat()).size
    const probe = Buffer.allocUnsafe(PROBE_BYTES)
    // The end of the split starting at `from`; -1 if no line ends within maxLineBytes of where it should.
    const splitEnd = async (from: number): Promise<number> => {
      for (let at = from + splitBytes - 1; at < size;) {
        const n = await read(probe, at, size)
        if (n === 0) break
        const i = probe.subarray(0, n).indexOf(10)
        if (i !== -1) return at + i + 1
        at += n
        if (at - (from + splitBytes) > maxLineBytes) return -1
      }
      return size
    }
    let from = await bodyStart(read, size)
    const splits: Split[] = []
    while (from < size) {
      const end = await splitEnd(from)
      if (end === -1) {
        // a line over maxLineBytes: counting the lines finds it and fails, naming it
        await countSplitLines(file, splits, maxLineBytes)
        throw new MrstreamError('MRS_ERR_INPUT', `input ${name}: changed while it was split`, { phase: 'input', file: name })
      }
      const base = new LineBase()
      if (splits.length === 0) base.publish(1) // (the first split's is known)
      const split: Split = { file, name, offset: from, length: end - from, fileSize: size, lineBase: base.shared }
      if (format !== undefined) split.format = format
      splits.push(split)
      yield split
      from = end
    }
  } finally {
    await fh.close()
  }
}

/** How the engine follows a count: `stopped` ends it (the job failed); `onError` hears of its failure first. */
export interface CountHooks { stopped?: () => boolean, onError?: (e: unknown) => void }

/**
 * Counts the file's lines, publishing each split's first line number as the count passes its
 * start (the first split's at once); fails on a line over maxLineBytes. The splits are
 * splitsOf's for this file, in order. On failure, `onError` hears of it first, then splits not
 * yet numbered are marked failed (a worker waiting for one fails too, but second: the job
 * names the count's error).
 */
export async function countSplitLines (file: string, splits: Split[], maxLineBytes: number, hooks: CountHooks = {}): Promise<void> {
  const name = splits[0]?.name ?? file
  const bases = splits.map(s => new LineBase(s.lineBase))
  let next = 0 // the next split to number
  let line = 1 // the line at lineStart
  const numberAt = (offset: number): void => {
    while (next < splits.length && splits[next]!.offset === offset) bases[next++]!.publish(line)
  }
  let fh: fsp.FileHandle | undefined
  try {
    fh = await openInput(file, name)
    const read = reader(fh, name, () => `after line ${line}`)
    const size = splits[0]?.fileSize ?? (await fh.stat()).size
    let lineStart = await bodyStart(read, size)
    numberAt(lineStart)
    const buf = Buffer.allocUnsafe(SCAN_BYTES)
    // (on to the end, after the last split is numbered: a line over maxLineBytes fails the job)
    for (let pos = lineStart; pos < size;) {
      if (hooks.stopped?.() === true) return
      const n = await read(buf, pos, size)
      if (n === 0) break // shorter than its size a moment ago: the map task that reads it fails
      const block = n === buf.length ? buf : buf.subarray(0, n)
      let target = next < splits.length ? splits[next]!.offset : -1
      for (let i = block.indexOf(10); i !== -1; i = block.indexOf(10, i + 1)) {
        const lineEnd = pos + i + 1
        if (lineEnd - lineStart > maxLineBytes + 1) throw lineTooLong(name, line, maxLineBytes)
        line++
        lineStart = lineEnd
        if (lineEnd === target) {
          numberAt(lineEnd)
          target = next < splits.length ? splits[next]!.offset : -1
        }
      }
      pos += n
      if (pos - lineStart > maxLineBytes) throw lineTooLong(name, line, maxLineBytes)
    }
  } catch (e) {
    hooks.onError?.(e)
    throw e
  } finally {
    for (const b of bases) b.fail() // (those not numbered: a worker waiting for one stops)
    await fh?.close()
  }
}

const PROBE = Buffer.allocUnsafe(PROBE_BYTES)

/**
 * How many bytes from file position `pos` the line there takes, with its newline (up to `end`
 * without one), found with `read` (readSync's arguments after the fd); throws tooLong() once
 * it takes more than `most`.
 */
type Read = (into: Buffer, at: number, want: number, from: number) => number

function lineRest (read: Read, pos: number, end: number, most: number, tooLong: () => Error): number {
  for (let at = pos; at < end;) {
    const n = read(PROBE, 0, Math.min(PROBE_BYTES, end - at), at)
    if (n === 0) break // (shorter than it was: the read after this says so)
    const nl = PROBE.subarray(0, n).indexOf(10)
    const rest = nl === -1 ? at + n - pos : at + nl + 1 - pos
    if (rest > most) throw tooLong()
    if (nl !== -1) return rest
    at += n
  }
  return end - pos
}

/** The file a split reads (`path`), open; an input error names it as `file`. */
function openSplit (path: string, file: string): number {
  try {
    return openSync(path, 'r')
  } catch (e) {
    throw new MrstreamError('MRS_ERR_INPUT', `input ${file}: ${(e as Error).message}`, { phase: 'input', file }, e)
  }
}

/** Reads of a split's open file `fd`; a failed read is an input error at line `line()`. */
function splitRead (fd: number, file: string, line: () => number): Read {
  return (into, at, want, from) => {
    try {
      return readSync(fd, into, at, want, from)
    } catch (e) {
      throw new MrstreamError('MRS_ERR_INPUT', `input ${file}: read failed at line ${line()}: ${(e as Error).message}`, { phase: 'input', file, line: line() }, e)
    }
  }
}

/**
 * A split's chunks of whole lines, read in a map task's worker. One buffer serves every chunk:
 * each is consumed (turned into records) before the next read.
 */
export function * chunksOfSplit (split: Split, chunkBytes: number, maxLineBytes: number): Generator<Chunk> {
  const file = split.name // (what the job and messages call it; split.file is read)
  const fd = openSplit(split.file, file)
  try {
    const small = Buffer.allocUnsafe(chunkBytes)
    let buf = small
    let pos = split.offset
    const end = split.offset + split.length
    const base = new LineBase(split.lineBase)
    let line = 0 // lines of the split before pos (its chunks' lines count from its first)
    const absolute = (): number => base.line(file) + line
    let carry = 0 // bytes of a line begun in the last read, at the start of buf
    const read = splitRead(fd, file, absolute)
    while (pos < end) {
      if (carry === buf.length) {
        // a line longer than the buffer: read whole into a buffer of its size, once its end
        // is found (a buffer doubled until it held the line left each smaller one behind, up to
        // twice the line's bytes). The scan, which may not have got there yet, fails the job on
        // a line over --max-line-bytes; this one does not wait to read that far.
        const bigger = Buffer.allocUnsafe(carry + lineRest(read, pos, end, maxLineBytes + 1 - carry, () => lineTooLong(file, absolute(), maxLineBytes)))
        buf.copy(bigger, 0, 0, carry)
        buf = bigger
      }
      const n = read(buf, carry, Math.min(buf.length - carry, end - pos), pos)
      if (n === 0) throw new MrstreamError('MRS_ERR_INPUT', `input ${file}: shorter than when the job started (was it changed while the job ran?)`, { phase: 'input', file })
      pos += n
      const filled = carry + n
      const cut = pos === end ? filled : buf.lastIndexOf(10, filled - 1) + 1
      if (cut === 0) {
        carry = filled
        continue
      }
      const data = buf.subarray(0, cut)
      const chunk: Chunk = { file, firstLine: line, data, base }
      if (split.format !== undefined) chunk.format = split.format
      yield chunk
      // (records.ts sets chunk.lines for every format a split is read in; the count is the fallback)
      line += chunk.lines ?? countLines(data)
      carry = filled - cut
      if (buf !== small && carry <= chunkBytes) { // (a buffer made for a long line)
        buf.copy(small, 0, cut, filled)
        buf = small
      } else {
        buf.copy(buf, 0, cut, filled)
      }
    }
  } finally {
    closeSync(fd)
  }
}
