// A key's output held back until its reduce (or combine) returned: with --max-bad-records, a
// key whose function throws writes nothing. Lines wait in memory up to STAGE_BYTES, then in a
// file, so that one key may write any number of lines in bounded memory (docs/guarantees.md), as it may
// without --max-bad-records.
import { closeSync, ftruncateSync, openSync, readSync, rmSync } from 'node:fs'
import { utf8Slice, utf8Write, writeAll } from '../codec/bytes.js'
import { writeError } from '../errors.js'

// in memory (a line's string, two bytes a UTF-16 unit, and its slots): 1 MB
const STAGE_BYTES = 1 << 20
const LINE_OVERHEAD = 32
// a staged line in the file: its partition and byte length (u32 each), then its UTF-8 bytes
const HEAD = 8
const FILE_BUFFER = 1 << 20

export class StagedLines {
  private partitions: number[] = []
  private lines: string[] = []
  private bytes = 0
  private file: StageFile | undefined

  /**
   * `path`: where to keep lines past STAGE_BYTES (asked for the first time one key needs it);
   * `fileBuffer`: the file's write and read buffer (smaller in tests).
   */
  constructor (private readonly path: () => string, private readonly phase: 'combine' | 'reduce', private readonly fileBuffer = FILE_BUFFER) {}

  push (partition: number, line: string): void {
    if (this.file === undefined || !this.file.used) {
      this.bytes += 2 * line.length + LINE_OVERHEAD
      if (this.bytes <= STAGE_BYTES) {
        this.partitions.push(partition)
        this.lines.push(line)
        return
      }
      this.file ??= new StageFile(this.path(), this.phase, this.fileBuffer)
      for (let i = 0; i < this.lines.length; i++) this.file.add(this.partitions[i]!, this.lines[i]!)
      this.partitions.length = 0
      this.lines.length = 0
    }
    this.file.add(partition, line)
  }

  /** Hands every line pushed since the last commit or discard to `write`, in order; returns how many. */
  commit (write: (partition: number, line: string) => void): number {
    let n = this.lines.length
    for (let i = 0; i < n; i++) write(this.partitions[i]!, this.lines[i]!)
    if (this.file?.used === true) n += this.file.replay(write)
    this.discard()
    return n
  }

  /** Forgets the lines pushed since the last commit or discard. */
  discard (): void {
    this.partitions.length = 0
    this.lines.length = 0
    this.bytes = 0
    this.file?.clear()
  }

  /** Removes the file, if one was needed. */
  close (): void {
    this.file?.close()
    this.file = undefined
  }
}

/** Staged lines in a file, written through a buffer and read back in order. */
class StageFile {
  private readonly fd: number
  private readonly buf: Buffer
  private at = 0
  /** Bytes in the file (the buffer's come after). */
  private size = 0

  constructor (private readonly path: string, private readonly phase: 'combine' | 'reduce', bufferBytes: number) {
    this.buf = Buffer.allocUnsafe(bufferBytes)
    this.fd = this.io(() => openSync(path, 'w+', 0o600))
  }

  get used (): boolean { return this.size + this.at > 0 }

  add (partition: number, line: string): void {
    const most = HEAD + 3 * line.length
    if (this.at + most > this.buf.length) {
      this.flush()
      if (most > this.buf.length) {
        // a line longer than the buffer is written alone, from a buffer of its own
        const own = Buffer.allocUnsafe(HEAD + Buffer.byteLength(line))
        own.writeUInt32LE(partition, 0)
        own.writeUInt32LE(own.length - HEAD, 4)
        utf8Write(own, line, HEAD)
        this.write(own)
        return
      }
    }
    const len = utf8Write(this.buf, line, this.at + HEAD)
    this.buf.writeUInt32LE(partition, this.at)
    this.buf.writeUInt32LE(len, this.at + 4)
    this.at += HEAD + len
  }

  replay (write: (partition: number, line: string) => void): number {
    this.flush()
    let n = 0
    let pos = 0
    while (pos < this.size) {
      const got = this.read(this.buf, pos, Math.min(this.buf.length, this.size - pos))
      let i = 0
      while (i + HEAD <= got && i + HEAD + this.buf.readUInt32LE(i + 4) <= got) {
        const len = this.buf.readUInt32LE(i + 4)
        write(this.buf.readUInt32LE(i), utf8Slice(this.buf, i + HEAD, i + HEAD + len))
        n++
        i += HEAD + len
      }
      if (i === 0) {
        // a line longer than the buffer (its head is read: the buffer holds 8 bytes at least)
        const own = Buffer.allocUnsafe(HEAD + this.buf.readUInt32LE(4))
        this.read(own, pos, own.length)
        write(own.readUInt32LE(0), utf8Slice(own, HEAD, own.length))
        n++
        i = own.length
      }
      pos += i
    }
    return n
  }

  clear (): void {
    this.at = 0
    if (this.size > 0) this.io(() => { ftruncateSync(this.fd, 0) })
    this.size = 0
  }

  close (): void {
    try { closeSync(this.fd) } catch {}
    rmSync(this.path, { force: true })
  }

  private flush (): void {
    this.write(this.buf.subarray(0, this.at))
    this.at = 0
  }

  /** Appends bytes to the file (after flush: the buffer is empty). */
  private write (bytes: Buffer): void {
    this.io(() => writeAll(this.fd, bytes, this.size))
    this.size += bytes.length
  }

  private read (into: Buffer, pos: number, len: number): number {
    let got = 0
    while (got < len) {
      const n = this.io(() => readSync(this.fd, into, got, len - got, pos + got))
      if (n === 0) break
      got += n
    }
    return got
  }

  private io<T> (f: () => T): T {
    try {
      return f()
    } catch (e) {
      throw writeError(e, this.path, this.phase, 'stage a key\'s output in')
    }
  }
}
