// Records given as values by the library's caller (object mode) → chunks for map tasks, in
// input order, each about `chunkBytes`. Strings that are lines (no newline in them, no CR at
// their end) travel as lines: one buffer, which the worker splits as it splits a file's lines.
// Any other record turns its chunk into packed values (msgpack, as values are carried), so a
// record reaches `map` as it was written, or is refused, named, as a value would be.
import { MrstreamError } from '../errors.js'
import { ValueError, packValue } from '../codec/values.js'
import type { Chunk } from './records.js'

/** A string that the `lines` format gives back as it is. */
function isLine (s: string): boolean {
  return s.indexOf('\n') === -1 && s.charCodeAt(s.length - 1) !== 13
}

class ChunkBuilder {
  /** The chunk's records while they are all lines. */
  private lines: string[] = []
  /** Else its packed records, in `buffer`. */
  private packed: Buffer | undefined
  private buffer: Buffer | undefined
  bytes = 0
  count = 0

  constructor (private readonly name: string, private readonly chunkBytes: number, private first: number) {}

  add (record: unknown): void {
    if (this.packed === undefined && typeof record === 'string' && isLine(record)) {
      this.lines.push(record)
      this.bytes += record.length + 1
    } else {
      if (this.packed === undefined) this.repack()
      this.pack(record, this.first + this.count)
    }
    this.count++
  }

  /** The chunk, and a new one begun after it. */
  take (): Chunk {
    const chunk: Chunk = { file: this.name, firstLine: this.first, data: this.data(), format: this.packed === undefined ? 'lines' : 'records' }
    this.first += this.count
    if (this.buffer !== undefined && this.buffer.length > 4 * this.chunkBytes) this.buffer = undefined // (after a huge record)
    this.lines = []
    this.packed = undefined
    this.bytes = 0
    this.count = 0
    return chunk
  }

  private data (): Buffer {
    // (a copy of just its bytes: the chunk is held until its task is done, the buffer is reused)
    if (this.packed !== undefined) return Buffer.from(this.packed.subarray(0, this.bytes))
    const text = this.lines.join('\n') + '\n'
    // (a lone surrogate would be written as U+FFFD: refused instead, as in a value)
    if (!text.isWellFormed()) {
      const i = this.lines.findIndex(l => !l.isWellFormed())
      this.refuse(this.first + i, new ValueError(`string ${JSON.stringify(this.lines[i]!.slice(0, 40))} has a lone UTF-16 surrogate, which UTF-8 cannot carry`))
    }
    return Buffer.from(text, 'utf8')
  }

  private repack (): void {
    const lines = this.lines
    this.lines = []
    this.packed = this.buffer ??= Buffer.allocUnsafe(Math.max(1024, this.chunkBytes * 2))
    this.bytes = 0
    for (let i = 0; i < lines.length; i++) this.pack(lines[i], this.first + i)
  }

  private pack (record: unknown, n: number): void {
    let bytes: Buffer
    try {
      bytes = packValue(record)
    } catch (e) {
      this.refuse(n, e)
    }
    if (this.bytes + bytes.length > this.packed!.length) {
      const bigger = Buffer.allocUnsafe(2 * (this.bytes + bytes.length))
      this.packed!.copy(bigger, 0, 0, this.bytes)
      this.packed = this.buffer = bigger
    }
    bytes.copy(this.packed!, this.bytes)
    this.bytes += bytes.length
  }

  private refuse (n: number, e: unknown): never {
    if (!(e instanceof ValueError)) throw e
    throw new MrstreamError('MRS_ERR_VALUE', `input ${this.name}: record ${n} cannot be carried to a worker thread: ${e.message}`, { phase: 'input', file: this.name, line: n })
  }
}

/** The chunks of records given in batches; `ctx.line` is a record's number, from 1. */
export async function * chunksOfRecords (name: string, batches: AsyncIterable<readonly unknown[]>, chunkBytes: number): AsyncGenerator<Chunk> {
  const chunk = new ChunkBuilder(name, chunkBytes, 1)
  for await (const batch of batches) {
    for (let i = 0; i < batch.length; i++) {
      chunk.add(batch[i])
      if (chunk.bytes >= chunkBytes) yield chunk.take()
    }
  }
  if (chunk.count > 0) yield chunk.take()
}
