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

/** The file's splits of about `splitBytes` each, in order; fails on a line over maxLineBytes. */
export async function * splitsOf (file: string, splitBytes: number, maxLineBytes: number): AsyncGenerator<Split> {
  let fh: fsp.FileHandle
  try {
    fh = await fsp.open(file)
  } catch (e) {
    throw new MrstreamError('MRS_ERR_INPUT', `input ${file}: ${(e as Error).message}`, { phase: 'input', file }, e)
  }
  try {
    const buf = Buffer.allocUnsafe(SCAN_BYTES)
    let pos = 0
    let start = 0 // the split being scanned starts here, at line startLine
    let startLine = 1
    let line = 1 // the line at lineStart
    let lineStart = 0
    for (;;) {
      let n: number
      try {
        n = (await fh.read(buf, 0, buf.length, pos)).bytesRead
      } catch (e) {
        throw new MrstreamError('MRS_ERR_INPUT', `input ${file}: read failed after line ${line}: ${(e as Error).message}`, { phase: 'input', file, line }, e)
      }
      if (n === 0) break
      if (pos === 0 && n >= 3 && buf.subarray(0, 3).equals(BOM)) start = lineStart = 3
      const block = n === buf.length ? buf : buf.subarray(0, n)
      for (let i = block.indexOf(10); i !== -1; i = block.indexOf(10, i + 1)) {
        const end = pos + i + 1
        if (end - lineStart > maxLineBytes + 1) throw lineTooLong(file, line, maxLineBytes)
        line++
        lineStart = end
        if (end - start >= splitBytes) {
          yield { file, offset: start, length: end - start, firstLine: startLine }
          start = end
          startLine = line
        }
      }
      pos += n
      if (pos - lineStart > maxLineBytes) throw lineTooLong(file, line, maxLineBytes)
    }
    if (pos > start) yield { file, offset: start, length: pos - start, firstLine: startLine }
  } finally {
    await fh.close()
  }
}

/**
 * A split's chunks of whole lines, read in a map task's worker. One buffer serves every chunk:
 * each is consumed (turned into records) before the next read.
 */
export function * chunksOfSplit (split: Split, chunkBytes: number): Generator<Chunk> {
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
        // a line longer than the buffer (the scan checked it is under --max-line-bytes)
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
