// RunBytes: a run's bytes on their way into its file, under RunWriter (run-writer.ts): one write
// buffer, the file it is flushed to, and the run's blocks (run-format.ts), each with the crc32 of
// its bytes, computed as they are flushed.
import { closeSync, openSync } from 'node:fs'
import { crc32 } from 'node:zlib'
import { writeError } from '../errors.js'
import { largeGarbage } from '../exec/garbage.js'
import { viewOf, writeAll } from '../codec/bytes.js'
import { BLOCK_BYTES, LARGE, WRITE_BUFFER, type Block } from './run-format.js'

// The write buffer of the last writer closed in this thread, for the next: a thread writes one
// run at a time, and a buffer a spill was garbage outside the heap that V8 frees only once 64 MB
// of it piles up (a spill a key: 150 keys of 1 MB under --memory 1MB).
let spare: Buffer | undefined

function takeBuffer (): Buffer {
  const buf = spare ?? Buffer.allocUnsafe(WRITE_BUFFER)
  spare = undefined
  return buf
}

export class RunBytes {
  readonly path: string
  protected readonly phase: 'spill' | 'merge'
  protected fd: number
  protected buf = takeBuffer()
  protected view = viewOf(this.buf)
  protected pos = 0
  protected flushed = 0 // file offset of buf[0]
  protected crcFrom = 0 // buf index up to which the current block's crc is computed
  protected crc = 0
  protected blocks: Block[] = []
  protected groups = 0

  constructor (path: string, phase: 'spill' | 'merge') {
    this.path = path
    this.phase = phase
    try { this.fd = openSync(path, 'wx', 0o600) } catch (e) { throw writeError(e, path, phase) }
  }

  /** Whether the next group starts a block: the first, or after BLOCK_BYTES of the current one. */
  protected blockFull (): boolean {
    const current = this.blocks[this.blocks.length - 1]
    return current === undefined || this.flushed + this.pos - current[0] >= BLOCK_BYTES
  }

  /** Ends the current block and starts one at the next group, indexed by `key` (see indexKey). */
  protected openBlock (key: string): void {
    const at = this.flushed + this.pos
    const current = this.blocks[this.blocks.length - 1]
    if (current !== undefined) this.closeBlock(current, at)
    this.blocks.push([at, key, 0, 0, this.groups]) // (groups so far: closeBlock makes it the block's)
  }

  /** Bytes into the file: through the buffer, or when more than LARGE, straight after what it holds. */
  protected put (bytes: Uint8Array): void {
    if (bytes.length <= LARGE) {
      this.room(bytes.length)
      this.buf.set(bytes, this.pos)
      this.pos += bytes.length
      return
    }
    this.flush()
    this.write(bytes)
    this.flushed += bytes.length
    this.crc = crc32(bytes, this.crc)
    // (a large value's packed bytes and the string they were packed from, or a key's bytes:
    // garbage once written, mostly)
    largeGarbage(2 * bytes.length, true)
  }

  /** Closes the last block and flushes the buffer; returns the offset where the blocks end. */
  protected endBlocks (): number {
    const end = this.flushed + this.pos
    const last = this.blocks[this.blocks.length - 1]
    if (last !== undefined) this.closeBlock(last, end)
    this.flush()
    return end
  }

  /** Writes `tail` after the blocks and closes the file. */
  protected closeWith (...tail: Uint8Array[]): void {
    for (const bytes of tail) this.write(bytes)
    try { closeSync(this.fd) } catch (e) { throw writeError(e, this.path, this.phase) }
    spare = this.buf
  }

  /** Closes the file after a failure; the caller removes it. */
  abort (): void {
    try { closeSync(this.fd) } catch {}
    spare = this.buf
  }

  protected closeBlock (block: Block, end: number): void {
    this.crc = crc32(this.buf.subarray(this.crcFrom, this.pos), this.crc)
    this.crcFrom = this.pos
    block[2] = end - block[0]
    block[3] = this.crc
    block[4] = this.groups - block[4]
    this.crc = 0
  }

  /** Makes room for n bytes in the buffer (n <= its size: more goes through put). */
  protected room (n: number): void {
    if (this.pos + n > this.buf.length) this.flush()
  }

  protected flush (): void {
    if (this.pos === 0) return
    this.crc = crc32(this.buf.subarray(this.crcFrom, this.pos), this.crc)
    this.write(this.buf.subarray(0, this.pos))
    this.flushed += this.pos
    this.pos = 0
    this.crcFrom = 0
  }

  protected write (bytes: Uint8Array): void {
    try { writeAll(this.fd, bytes) } catch (e) { throw writeError(e, this.path, this.phase) }
  }

  protected varint (n: number): void {
    while (n >= 0x80) {
      this.buf[this.pos++] = (n & 0x7f) | 0x80
      n = Math.floor(n / 128)
    }
    this.buf[this.pos++] = n
  }
}
