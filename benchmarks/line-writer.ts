// The generators' output: lines composed in one big buffer, written out in big writes.
import { closeSync, openSync, writeSync } from 'node:fs'

const MiB = 1 << 20
/** No generated line is longer; the writer makes this much room before each line. */
const MAX_LINE = 4096

/** Lines are composed straight into one 8 MiB buffer, which goes out in one write when full. */
export class LineWriter {
  private readonly fd: number
  private readonly buf = Buffer.allocUnsafe(8 * MiB)
  private pos = 0
  private written = 0

  constructor (path: string) { this.fd = openSync(path, 'w') }

  /** Bytes so far, buffered ones included. */
  get size (): number { return this.written + this.pos }

  /** Call before each line: makes room for the longest line. */
  startLine (): void {
    if (this.pos + MAX_LINE > this.buf.length) this.flush()
  }

  byte (c: number): void { this.buf[this.pos++] = c }

  ascii (s: string): void { this.pos += this.buf.write(s, this.pos, 'latin1') }

  utf8 (s: string): void { this.pos += this.buf.write(s, this.pos, 'utf8') }

  /** Bytes [start, end) of src; a plain loop, as the pieces are short. */
  slice (src: Uint8Array, start: number, end: number): void {
    const buf = this.buf
    let p = this.pos
    for (let i = start; i < end; i++) buf[p++] = src[i]!
    this.pos = p
  }

  bytes (src: Uint8Array): void { this.slice(src, 0, src.length) }

  /** A non-negative integer in decimal. */
  int (n: number): void {
    let digits = 1
    for (let x = n; x >= 10; x = Math.floor(x / 10)) digits++
    for (let i = this.pos + digits - 1; i >= this.pos; i--) {
      this.buf[i] = 48 + n % 10
      n = Math.floor(n / 10)
    }
    this.pos += digits
  }

  /** Eight lowercase hex digits. */
  hex8 (n: number): void {
    for (let shift = 28; shift >= 0; shift -= 4) {
      const d = (n >>> shift) & 15
      this.buf[this.pos++] = d < 10 ? 48 + d : 87 + d
    }
  }

  close (): void {
    this.flush()
    closeSync(this.fd)
  }

  private flush (): void {
    let off = 0
    while (off < this.pos) off += writeSync(this.fd, this.buf, off, this.pos - off)
    this.written += this.pos
    this.pos = 0
  }
}
