// Input splits: a regular, uncompressed file of lines is cut into byte ranges of whole lines
// that map tasks read themselves, as Hadoop's input splits. No input bytes cross between
// threads (copying every chunk into the worker cost the main thread 0.26 s per 64 MB, a
// fifth of what a log job's map costs), a task can be large (fewer runs to merge), and a
// retried task reads its range again. The main thread still reads each file once, fast, to
// count lines, so that ctx.line and error messages name absolute line numbers.
import { closeSync, openSync, readSync, promises as fsp } from 'node:fs'
import { MrstreamError } from './errors.js'
import { BOM, countLines, lineTooLong } from './input.js'
import type { Chunk } from './records.js'

/** Whole lines of one file: `length` bytes from `offset`, the first being line `firstLine`. */
export interface Split { file: string, offset: number, length: number, firstLine: number }

const SCAN_BYTES = 4 << 20
// read where a split should end, to find the line end there
const PROBE_BYTES = 64 << 10

/**
 * The file's splits of about `splitBytes` each, in order; fails on a line over maxLineBytes.
 * A split ends at the first line end `splitBytes` or more after its start, found by reading
 * there: it is yielded as soon as the scan has counted the lines before it, not after, so the
 * second worker starts its first task when the scan is one split in, not two (1 GiB of logs:
 * 0.4 s sooner). The first split can be shorter (`firstBytes`), so that the scan gets there
 * sooner still.
 */
export async function * splitsOf (file: string, splitBytes: number, maxLineBytes: number, firstBytes = splitBytes): AsyncGenerator<Split> {
  let fh: fsp.FileHandle
  try {
    fh = await fsp.open(file)
  } catch (e) {
    throw new MrstreamError('MRS_ERR_INPUT', `input ${file}: ${(e as Error).message}`, { phase: 'input', file }, e)
  }
  let line = 1 // the line at lineStart
  const read = async (buf: Buffer, pos: number, size: number): Promise<number> => {
    try {
      return (await fh.read(buf, 0, Math.min(buf.length, size - pos), pos)).bytesRead
    } catch (e) {
      throw new MrstreamError('MRS_ERR_INPUT', `input ${file}: read failed after line ${line}: ${(e as Error).message}`, { phase: 'input', file, line }, e)
    }
  }
  try {
    const size = (await fh.stat()).size
    const buf = Buffer.allocUnsafe(SCAN_BYTES)
    const probe = Buffer.allocUnsafe(PROBE_BYTES)
    // The end of the split starting at `from`; -1 if no line ends within maxLineBytes of where it
    // should (the scan then fails on that line before it gets there).
    const splitEnd = async (from: number, bytes = splitBytes): Promise<number> => {
      for (let at = from + bytes - 1; at < size;) {
        const n = await read(probe, at, size)
        if (n === 0) break
        const i = probe.subarray(0, n).indexOf(10)
        if (i !== -1) return at + i + 1
        at += n
        if (at - (from + bytes) > maxLineBytes) return -1
      }
      return size
    }
    let lineStart = 0
    if (size >= 3 && (await read(buf, 0, 3)) === 3 && buf.subarray(0, 3).equals(BOM)) lineStart = 3
    let end = lineStart < size ? await splitEnd(lineStart, firstBytes) : -1 // of the split being scanned
    if (end !== -1) yield { file, offset: lineStart, length: end - lineStart, firstLine: 1 }
    for (let pos = lineStart; pos < size;) {
      const n = await read(buf, pos, size)
      if (n === 0) break // shorter than its size a moment ago: the map task that reads it fails
      const block = n === buf.length ? buf : buf.subarray(0, n)
      for (let i = block.indexOf(10); i !== -1; i = block.indexOf(10, i + 1)) {
        const lineEnd = pos + i + 1
        if (lineEnd - lineStart > maxLineBytes + 1) throw lineTooLong(file, line, maxLineBytes)
        line++
        lineStart = lineEnd
        if (lineEnd === end && end < size) {
          end = await splitEnd(lineEnd)
          if (end !== -1) yield { file, offset: lineEnd, length: end - lineEnd, firstLine: line }
        }
      }
      pos += n
      if (pos - lineStart > maxLineBytes) throw lineTooLong(file, line, maxLineBytes)
    }
  } finally {
    await fh.close()
  }
}

/**
 * A split's chunks of whole lines, read in a map task's worker. One buffer serves every chunk:
 * each is consumed (turned into records) before the next read.
 */
export function * chunksOfSplit (split: Split, chunkBytes: number, maxLineBytes: number): Generator<Chunk> {
  const { file } = split
  let fd: number
  try {
    fd = openSync(file, 'r')
  } catch (e) {
    throw new MrstreamError('MRS_ERR_INPUT', `input ${file}: ${(e as Error).message}`, { phase: 'input', file }, e)
  }
  try {
    let buf = Buffer.allocUnsafe(chunkBytes)
    let pos = split.offset
    const end = split.offset + split.length
    let line = split.firstLine
    let carry = 0 // bytes of a line begun in the last read, at the start of buf
    while (pos < end) {
      if (carry === buf.length) {
        // a line longer than the buffer (the scan, which may not have got there yet, fails
        // the job on a line over --max-line-bytes; this one does not wait to grow that big)
        if (carry > maxLineBytes) throw lineTooLong(file, line, maxLineBytes)
        const bigger = Buffer.allocUnsafe(2 * buf.length)
        buf.copy(bigger, 0, 0, carry)
        buf = bigger
      }
      const want = Math.min(buf.length - carry, end - pos)
      let n: number
      try {
        n = readSync(fd, buf, carry, want, pos)
      } catch (e) {
        throw new MrstreamError('MRS_ERR_INPUT', `input ${file}: read failed at line ${line}: ${(e as Error).message}`, { phase: 'input', file, line }, e)
      }
      if (n === 0) throw new MrstreamError('MRS_ERR_INPUT', `input ${file}: shorter than when the job started (was it changed while the job ran?)`, { phase: 'input', file, line })
      pos += n
      const filled = carry + n
      const cut = pos === end ? filled : buf.lastIndexOf(10, filled - 1) + 1
      if (cut === 0) {
        carry = filled
        continue
      }
      const data = buf.subarray(0, cut)
      yield { file, firstLine: line, data }
      line += countLines(data)
      buf.copy(buf, 0, cut, filled)
      carry = filled - cut
    }
  } finally {
    closeSync(fd)
  }
}
