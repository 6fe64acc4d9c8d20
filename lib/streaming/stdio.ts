// A streaming command's stdout and stdin, written and read synchronously (a command is a process of
// its own): stdout through a buffer, stdin as lines, each waiting out a non-blocking pipe.
import { readSync, writeSync } from 'node:fs'
import { MrstreamError } from '../errors.js'
import { countLines, lineTooLong, longLineAt } from '../input/lines.js'
import { LineBuffer, WRITE_SLICE } from '../codec/bytes.js'
import { writeError } from '../errors.js'

export const CHUNK = 1 << 20

/** stdout through a 1 MB buffer, written synchronously (a command is a process of its own). */
export class Out extends LineBuffer {
  constructor () { super(CHUNK) }

  protected writeOut (bytes: Uint8Array): void { writeStdout(bytes) }
}

/**
 * stdout's reader went away (EPIPE): the command ends, successfully. A class of its own so that
 * no job function that was writing when it happened gets it pinned on it.
 */
export class StdoutClosed extends Error {
  readonly code = 'EPIPE'
}

function writeStdout (bytes: Uint8Array): void {
  const wait = new Backoff()
  let off = 0
  while (off < bytes.length) {
    try {
      off += writeSync(1, bytes, off, Math.min(WRITE_SLICE, bytes.length - off))
      wait.reset()
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code
      if (code === 'EPIPE') throw new StdoutClosed('stdout closed by its reader')
      if (code !== 'EAGAIN') throw writeError(e, 'stdout', 'output')
      wait.pause() // a pipe Node made non-blocking (process.stdout): wait for the reader
    }
  }
}

/** Waits for a non-blocking pipe: 50 us at first, doubling to 5 ms (a fixed 5 ms tripled a slow reader's time). */
class Backoff {
  private static readonly cell = new Int32Array(new SharedArrayBuffer(4))
  private ms = 0.05
  pause (): void {
    Atomics.wait(Backoff.cell, 0, 0, this.ms)
    this.ms = Math.min(5, 2 * this.ms)
  }

  reset (): void { this.ms = 0.05 }
}

/** stdin's lines, read synchronously (without their \n, or \r\n). */
export class Lines {
  line = 0
  private buf = Buffer.allocUnsafe(CHUNK)
  private lines: string[] = []
  private at = 0
  private carry = 0
  private eof = false

  constructor (private readonly maxLineBytes: number) {}

  next (): string | undefined {
    while (this.at === this.lines.length) {
      if (this.eof) return undefined
      this.fill()
    }
    this.line++
    return this.lines[this.at++]
  }

  private fill (): void {
    if (this.carry === this.buf.length) {
      const bigger = Buffer.allocUnsafe(2 * this.buf.length)
      this.buf.copy(bigger, 0, 0, this.carry)
      this.buf = bigger
    }
    const n = readStdin(this.buf, this.carry)
    const filled = this.carry + n
    if (n === 0) this.eof = true
    // only the new bytes can hold the last newline (the carried ones have none)
    const nl = n === 0 ? -1 : this.buf.subarray(this.carry, filled).lastIndexOf(10)
    const cut = n === 0 ? filled : nl === -1 ? 0 : this.carry + nl + 1
    // a line can only be longer than the limit if the buffer is (it doubles once the carry fills it)
    const long = this.maxLineBytes < this.buf.length ? longLineAt(this.buf.subarray(0, cut), this.maxLineBytes) : -1
    if (long !== -1) throw lineTooLong('-', this.line + 1 + long, this.maxLineBytes)
    if (filled - cut > this.maxLineBytes) throw lineTooLong('-', this.line + 1 + (cut === 0 ? 0 : countLines(this.buf.subarray(0, cut))), this.maxLineBytes)
    this.lines = cut === 0 ? [] : this.buf.toString('utf8', 0, cut).split('\n')
    if (cut > 0 && this.buf[cut - 1] === 10) this.lines.pop() // the empty string after the last \n
    for (let i = 0; i < this.lines.length; i++) if (this.lines[i]!.endsWith('\r')) this.lines[i] = this.lines[i]!.slice(0, -1)
    this.at = 0
    this.buf.copy(this.buf, 0, cut, filled)
    this.carry = filled - cut
  }
}

function readStdin (buf: Buffer, at: number): number {
  const wait = new Backoff()
  for (;;) {
    try {
      return readSync(0, buf, at, buf.length - at, null)
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code
      if (code === 'EAGAIN') { wait.pause(); continue }
      if (code === 'EOF' || code === 'EBADF') return 0
      throw new MrstreamError('MRS_ERR_INPUT', `input -: read failed: ${(e as Error).message}`, { phase: 'input', file: '-' }, e)
    }
  }
}
