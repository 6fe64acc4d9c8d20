// Line helpers shared by every input path: the BOM, counting lines, the line-too-long error.
import { MrstreamError } from '../errors.js'

export const BOM = Buffer.from([0xef, 0xbb, 0xbf])

export function lineTooLong (file: string, line: number, max: number): MrstreamError {
  return new MrstreamError('MRS_ERR_LINE_TOO_LONG', `${file}:${line}: line longer than --max-line-bytes ${max}`, { phase: 'input', file, line })
}

export function countLines (buf: Buffer): number {
  let n = 0
  for (let i = buf.indexOf(10); i !== -1; i = buf.indexOf(10, i + 1)) n++
  return n
}

/** Which line of `data` (0 for its first) is the first longer than `max` bytes (its newline not counted), or -1. */
export function longLineAt (data: Uint8Array, max: number): number {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength)
  for (let start = 0, i = 0; start < buf.length; i++) {
    const nl = buf.indexOf(10, start)
    const end = nl === -1 ? buf.length : nl
    if (end - start > max) return i
    start = end + 1
  }
  return -1
}
