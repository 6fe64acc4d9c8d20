// A task's output file: lines encoded into a buffer (LineBuffer) and written to the file when
// it fills and on close. A reduce task writes one per output partition; a map-only job's map
// task writes one, its pairs in input order.
import { closeSync, openSync } from 'node:fs'
import { LineBuffer, writeAll } from '../codec/bytes.js'
import { MrstreamError, outOfFiles, writeError } from '../errors.js'

export class LineFile extends LineBuffer {
  protected fd: number

  constructor (readonly path: string, bufferBytes: number, private readonly phase: 'map' | 'reduce') {
    super(bufferBytes)
    try {
      this.fd = openSync(path, 'w', 0o600)
    } catch (e) {
      // a reduce task holds a fragment open per part file
      const hint = outOfFiles(e) ? ': too many open files (fewer --reducers, or a higher ulimit -n)' : `: ${(e as Error).message}`
      throw new MrstreamError('MRS_ERR_IO', `${phase}: cannot open ${path}${hint}`, { phase, file: path }, e)
    }
  }

  protected writeOut (bytes: Uint8Array): void {
    try {
      writeAll(this.fd, bytes)
    } catch (e) {
      throw writeError(e, this.path, this.phase)
    }
  }

  /** Writes what is buffered and closes the file; closed also when the write fails. */
  close (): void {
    try {
      this.flush()
    } finally {
      this.release()
    }
  }

  /** Closes the file, if still open, without writing what is buffered (a failed task's file is removed). */
  discard (): void {
    this.used = 0
    this.release()
  }

  private release (): void {
    const fd = this.fd
    if (fd === -1) return
    this.fd = -1
    closeSync(fd)
  }
}
