// The library's output: the reduce tasks' fragments read back in key order, a block at a time,
// only as fast as the caller takes them (a slow reader leaves the output on disk, not in
// memory). Bytes (tsv, ndjson) as they are; [key, value] pairs from the `pairs` fragments
// (one msgpack pair a line, as a chain's steps pass them on).
import { promises as fsp } from 'node:fs'
import { recordsOf } from '../input/records.js'
import type { FragmentSink } from '../output/commit.js'

const BLOCK = 256 << 10

/** A block of output: bytes, or pairs. */
export type Block = Buffer | Array<[unknown, unknown]>

export class FragmentReader implements FragmentSink {
  private readonly queue: string[] = []
  private ended = false
  private wake: (() => void) | undefined
  private file: fsp.FileHandle | undefined
  /** The bytes read since the last whole line, block by block (joined once, when its line ends). */
  private carried: Buffer[] = []
  private done: (() => void) | undefined
  private readonly allRead: Promise<void>
  private closed = false

  constructor (private readonly pairs: boolean) {
    this.allRead = new Promise(resolve => { this.done = resolve })
  }

  add (fragment: string): void {
    this.queue.push(fragment)
    this.wake?.()
  }

  drained (): Promise<void> {
    this.ended = true
    this.wake?.()
    return this.allRead
  }

  /** The next block, in output order; null once every fragment has been read (then `drained` resolves). */
  async next (): Promise<Block | null> {
    for (;;) {
      if (this.closed) return null
      if (this.file === undefined) {
        const path = this.queue.shift()
        if (path === undefined) {
          if (this.ended) { this.done!(); return null }
          await new Promise<void>(resolve => { this.wake = resolve })
          this.wake = undefined
          continue
        }
        const file = await fsp.open(path, 'r')
        if (this.closed) { await file.close(); return null } // (stopped while it opened)
        this.file = file
      }
      const buf = Buffer.allocUnsafe(BLOCK)
      const { bytesRead } = await this.file.read(buf, 0, BLOCK, null)
      if (bytesRead === 0) {
        await this.closeFile()
        continue
      }
      const bytes = buf.subarray(0, bytesRead)
      if (!this.pairs) return bytes
      const pairs = this.decode(bytes)
      if (pairs.length > 0) return pairs
    }
  }

  /** Stops reading (the job was stopped): closes the fragment being read. */
  async close (): Promise<void> {
    this.closed = true
    this.wake?.()
    await this.closeFile()
  }

  private async closeFile (): Promise<void> {
    const f = this.file
    this.file = undefined
    await f?.close().catch(() => {})
  }

  /** The whole lines of the bytes read so far as pairs; the rest waits for the next block. */
  private decode (bytes: Buffer): Array<[unknown, unknown]> {
    // (only the new block is searched and the pieces joined once: a line of many blocks, a
    // large value, costs its length, not its length squared)
    const end = bytes.lastIndexOf(10) + 1
    if (end === 0) {
      this.carried.push(bytes)
      return []
    }
    const whole = this.carried.length === 0 ? bytes.subarray(0, end) : Buffer.concat([...this.carried, bytes.subarray(0, end)])
    this.carried = end < bytes.length ? [bytes.subarray(end)] : []
    return recordsOf({ file: '', firstLine: 1, data: whole }, 'pairs').records as Array<[unknown, unknown]>
  }
}
