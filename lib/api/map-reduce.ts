// mapReduce(): the job as a Duplex stream, a stage of any pipeline. Records (or bytes) are
// written in, [key, value] pairs (or output lines) are read out, with backpressure both ways:
// a write waits until the map takes it, and the output waits on disk until it is read.
import { Duplex } from 'node:stream'
import { MrstreamError } from '../errors.js'
import { inWorker } from '../job/ship.js'
import { shipJob, type JobRef } from './job.js'
import { JobRun, aborted, asMrstreamError, type Stats } from './job-run.js'
import { librarySettings, onAbort, type LibraryOptions } from './options.js'
import type { Job } from '../job/job.js'
import type { Block } from './output.js'

export type MapReduceOptions = LibraryOptions

/**
 * The Duplex mapReduce() returns: records in, [key, value] pairs out in key order (object
 * mode); with `format`, bytes in; with `outputFormat`, bytes out. `stats` settles when the job
 * ends. (Its items are typed as a Duplex's are, so that it fits wherever a Node stream does.)
 */
export interface MapReduceStream extends Duplex {
  readonly stats: Promise<Stats>
}

/** What a write gives the map: a record, or bytes; taken one at a time (the writer waits meanwhile). */
class Feed<T> implements AsyncIterable<T> {
  private readonly items: Array<{ item: T, taken: () => void }> = []
  private ended = false
  private wake: (() => void) | undefined

  push (item: T, taken: () => void): void {
    this.items.push({ item, taken })
    this.wake?.()
  }

  end (): void {
    this.ended = true
    this.wake?.()
  }

  async * [Symbol.asyncIterator] (): AsyncIterator<T> {
    for (;;) {
      const next = this.items.shift()
      if (next !== undefined) {
        next.taken()
        yield next.item
        continue
      }
      if (this.ended) return
      await new Promise<void>(resolve => { this.wake = resolve })
      this.wake = undefined
    }
  }
}

/** Batches of reads, read by read. */
async function * flatten (batches: AsyncIterable<Buffer[]>): AsyncGenerator<Buffer> {
  for await (const batch of batches) yield * batch
}

class MapReduceDuplex extends Duplex {
  readonly stats: Promise<Stats>
  private readonly run: JobRun
  private readonly feed = new Feed<unknown[]>()
  /** Pairs of the last block not yet pushed: from `at` on. */
  private pending: { pairs: Array<[unknown, unknown]>, at: number } | undefined
  private reading = false
  private wanted = false
  private readonly unlisten: () => void

  constructor (job: unknown, options: MapReduceOptions) {
    const set = librarySettings(options)
    const shipped = shipJob(job)
    const records = options.format === undefined
    const lines = options.outputFormat !== undefined
    super({
      writableObjectMode: records,
      readableObjectMode: !lines,
      // a batch of records a write callback (see _writev); output as the reader's blocks
      writableHighWaterMark: records ? 1024 : 64 << 10,
      readableHighWaterMark: lines ? 256 << 10 : 1024,
    })
    const input = records ? { name: '-', records: this.feed } : { name: '-', bytes: flatten(this.feed as AsyncIterable<Buffer[]>) }
    this.run = new JobRun(shipped, set, [input], lines ? set.outputFormat : 'pairs')
    this.stats = this.run.stats
    // a failed job ends the stream even when nobody reads it (a writer waiting for 'drain' would
    // wait forever: the map takes no more records)
    this.stats.catch((e: unknown) => { if (!this.destroyed) this.destroy(asMrstreamError(e)) })
    this.unlisten = onAbort(options.signal, reason => this.destroy(aborted(reason)))
  }

  override _write (chunk: unknown, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.run.start()
    this.feed.push([chunk], callback)
  }

  // the writes buffered while the map held the last batch, as one batch (bytes: not joined into
  // one more copy; the reads go on one by one)
  override _writev (chunks: Array<{ chunk: unknown }>, callback: (error?: Error | null) => void): void {
    this.run.start()
    this.feed.push(chunks.map(c => c.chunk), callback)
  }

  override _final (callback: (error?: Error | null) => void): void {
    this.run.start()
    this.feed.end()
    callback()
  }

  override _read (): void {
    this.wanted = true
    if (!this.reading) void this.pump()
  }

  /**
   * Pushes output while the reader wants it (push() true, or _read called again meanwhile: a
   * call while this runs only sets `wanted`, so none is lost), then stops.
   */
  private async pump (): Promise<void> {
    this.reading = true
    try {
      while (this.wanted && !this.destroyed) {
        this.wanted = false
        if (this.pending !== undefined) {
          const { pairs, at } = this.pending
          this.pending = undefined
          if (!this.pushPairs(pairs, at)) continue
        }
        const block: Block | null = await this.run.next()
        if (this.destroyed) return
        if (block === null) { this.push(null); return }
        if (Buffer.isBuffer(block) ? this.push(block) : this.pushPairs(block)) this.wanted = true
      }
    } catch (e) {
      this.destroy(asMrstreamError(e))
    } finally {
      this.reading = false
    }
  }

  /** Pushes pairs while the reader wants them; false (the rest kept for the next read) once it does not. */
  private pushPairs (pairs: Array<[unknown, unknown]>, from = 0): boolean {
    for (let i = from; i < pairs.length; i++) {
      if (!this.push(pairs[i])) {
        if (i + 1 < pairs.length) this.pending = { pairs, at: i + 1 }
        return false
      }
    }
    return true
  }

  override _destroy (error: Error | null, callback: (error?: Error | null) => void): void {
    this.unlisten()
    this.feed.end()
    const reason = error === null ? aborted() : error instanceof MrstreamError ? error : aborted(error)
    this.run.stop(reason).then(() => callback(error), () => callback(error))
  }
}

/**
 * The job as a stage of a pipeline: write records (strings, objects), read [key, value]
 * pairs in key order. With `format` ('lines', 'ndjson', 'csv', 'file') the writable side
 * takes bytes and cuts them into records as the command line does; with `outputFormat`
 * ('tsv', 'ndjson') the readable side gives the output's bytes.
 *
 * ```js
 * await pipeline(createReadStream('access.log'), mapReduce('./count.js', { format: 'lines', memory: '256MB' }), toLines, process.stdout)
 * ```
 */
export function mapReduce (job: Job | JobRef, options: MapReduceOptions = {}): MapReduceStream {
  if (inWorker('mapReduce()', job)) return new Duplex({ objectMode: true, read () {}, write () {} }) as MapReduceStream
  return new MapReduceDuplex(job, options)
}
