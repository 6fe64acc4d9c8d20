// k-way merge of runs by encoded key. Readers are given in run order (input order), and ties
// between equal keys go to the earlier run, so a key's values come out in input order.
// Runs are merged at most `fanIn` at a time (like GNU sort's --batch-size); more runs take
// extra passes over consecutive groups of runs, which keeps run order.
import { combineValues, CombineError } from '../map/combine.js'
import { MrstreamError } from '../errors.js'
import { KeyError, type Key } from '../codec/keys.js'
import { keyAtMost, readFooter, type Block, type RunInfo } from './run-format.js'
import { RunReader, prefixNumber } from './run-reader.js'
import { RunWriter } from './run-writer.js'
import { ValueError } from '../codec/values.js'
import { tick } from '../exec/heartbeat.js'
import { guardOnePass } from '../reduce/mistakes.js'
import { viewOf } from '../codec/bytes.js'
import type { Context, ReduceFn } from '../job/job.js'

/**
 * Where a reader starts for a key range: the last block whose first key is <= lo, as far as
 * its index key tells (keyAtMost: a block whose key is cut may start earlier than needed,
 * never later; the reader skips keys below lo).
 */
export function startBlock (blocks: Block[], lo: string | null): number {
  if (lo === null) return 0
  let b = 0
  for (let i = 0; i < blocks.length; i++) if (keyAtMost(blocks[i]![1], lo)) b = i; else break
  return b
}

/**
 * Merges runs over keys in [lo, hi). Invariant: `heap` holds the index of every reader that
 * has a current group with key < hi, ordered by (key, index).
 */
export class Merger {
  /** Indexes of the readers holding the current key, in run order: the first `size` (reused). */
  private readonly current: number[] = []
  size = 0
  private readonly readers: RunReader[]
  private readonly heap: number[] = []
  // each reader's current key's bytes after those most keys share (RunReader.keyPrefix), set
  // as it joins the heap: most comparisons end here, not in the readers' buffers (the first 6
  // bytes instead were slower on keys that all start alike)
  private readonly prefix: Float64Array
  private anchor: Uint8Array = new Uint8Array(0)
  // the key range's ends as bytes (keys are compared as bytes in the readers' buffers)
  private readonly lo: DataView | null
  private readonly hi: DataView | null
  // hi's prefix (Infinity without hi): a key's prefix above it is past the range, below it
  // within, and only an equal one is compared with hi as bytes
  private hiPrefix = Infinity
  // readers whose key was once at or past lo: a run is sorted, so all their next keys are too
  private readonly pastLo: Uint8Array
  private started = false

  constructor (runs: string[], opts: { lo?: string | null, hi?: string | null, bufferBytes?: number } = {}) {
    const lo = opts.lo ?? null
    const hi = opts.hi ?? null
    this.lo = lo === null ? null : viewOf(Buffer.from(lo, 'latin1'))
    const hiBytes = hi === null ? null : Buffer.from(hi, 'latin1')
    this.hi = hiBytes === null ? null : viewOf(hiBytes)
    this.readers = []
    this.prefix = new Float64Array(runs.length)
    this.pastLo = new Uint8Array(runs.length)
    try {
      for (const path of runs) {
        const footer = readFooter(path)
        this.readers.push(new RunReader(path, footer, startBlock(footer.blocks, lo), opts.bufferBytes))
      }
    } catch (e) {
      this.close()
      throw e
    }
    this.anchor = anchorOf(this.readers.map(r => r.blocks), lo, hi)
    if (hiBytes !== null) this.hiPrefix = prefixNumber(hiBytes, 0, hiBytes.length, this.anchor)
  }

  /** Moves to the next key; false when the range is done. */
  next (): boolean {
    tick()
    const current = this.current
    const heap = this.heap
    let first: number
    if (this.size > 0) {
      // The readers of the last key move on; the first of them, unless it is still the least,
      // takes the top's place in the heap (one pass down, where a push then a pop took two)
      for (let i = 1; i < this.size; i++) this.advance(current[i]!)
      const c = current[0]!
      if (!this.move(c)) first = this.pop()
      else if (heap.length === 0 || this.less(c, heap[0]!)) first = c
      else first = this.replaceTop(c)
    } else {
      if (!this.started) {
        this.started = true
        for (let i = 0; i < this.readers.length; i++) this.advance(i)
      }
      first = this.pop()
    }
    this.size = 0
    if (first === -1) return false
    current[this.size++] = first
    const top = this.readers[first]!
    const prefix = this.prefix
    while (heap.length > 0 && prefix[heap[0]!] === prefix[first] && this.readers[heap[0]!]!.compareKey(top) === 0) current[this.size++] = this.pop()
    return true
  }

  /** The current key, encoded ('' when there is none). */
  get key (): string {
    return this.size === 0 ? '' : this.readers[this.current[0]!]!.key
  }

  /** The current key, decoded (before its values are read). */
  decodedKey (): Key {
    return this.readers[this.current[0]!]!.decodedKey()
  }

  /** The i-th reader holding the current key (0 <= i < size). */
  member (i: number): RunReader {
    return this.readers[this.current[i]!]!
  }

  /** The current key's values, decoded, streamed from the runs (one pass). */
  values (): IterableIterator<unknown> {
    return new Values(this)
  }

  /** How many values the current key has in all runs. */
  count (): number {
    let n = 0
    for (let i = 0; i < this.size; i++) n += this.member(i).left
    return n
  }

  close (): void {
    for (const r of this.readers) r.close()
  }

  private advance (i: number): void {
    if (this.move(i)) this.push(i)
  }

  /** Moves reader i to its next group in the range (its prefix set); false when it has none. */
  private move (i: number): boolean {
    const r = this.readers[i]!
    for (;;) {
      if (!r.nextGroup()) return false
      if (this.pastLo[i] === 0) {
        if (this.lo !== null && r.compareKeyTo(this.lo) < 0) continue
        this.pastLo[i] = 1
      }
      const p = r.keyPrefix(this.anchor)
      if (p > this.hiPrefix || (p === this.hiPrefix && r.compareKeyTo(this.hi!) >= 0)) return false
      this.prefix[i] = p
      return true
    }
  }

  private less (a: number, b: number): boolean {
    const pa = this.prefix[a]!
    const pb = this.prefix[b]!
    if (pa !== pb) return pa < pb
    const c = this.readers[a]!.compareKey(this.readers[b]!)
    return c < 0 || (c === 0 && a < b)
  }

  private push (i: number): void {
    const h = this.heap
    let c = h.length
    h.push(i)
    while (c > 0) {
      const p = (c - 1) >> 1
      if (!this.less(h[c]!, h[p]!)) break
      h[c] = h[p]!
      h[p] = i
      c = p
    }
  }

  /** Removes the least reader; -1 when there is none. */
  private pop (): number {
    const h = this.heap
    if (h.length === 0) return -1
    const last = h.pop()!
    return h.length === 0 ? last : this.replaceTop(last)
  }

  /**
   * Removes the least reader and puts reader x in the heap. Bottom-up: the hole at the root
   * goes down to a leaf along the lesser children (one comparison a level, not two), then x
   * fills it and moves up, which is rarely far.
   */
  private replaceTop (x: number): number {
    const h = this.heap
    const top = h[0]!
    const n = h.length
    let p = 0
    for (;;) {
      const l = 2 * p + 1
      if (l >= n) break
      const c = l + 1 < n && this.less(h[l + 1]!, h[l]!) ? l + 1 : l
      h[p] = h[c]!
      p = c
    }
    while (p > 0) {
      const q = (p - 1) >> 1
      if (!this.less(x, h[q]!)) break
      h[p] = h[q]!
      p = q
    }
    h[p] = x
    return top
  }
}

/**
 * The bytes that the range's ends, and every run's first key and the first key of its last
 * block, start with: most keys of the merge do too (any anchor gives the right order; a key
 * without it costs a full comparison).
 */
function anchorOf (blocks: Block[][], lo: string | null, hi: string | null): Uint8Array {
  const keys: string[] = []
  if (lo !== null) keys.push(lo)
  if (hi !== null) keys.push(hi)
  for (const b of blocks) if (b.length > 0) keys.push(b[0]![1], b[b.length - 1]![1])
  if (keys.length === 0) return new Uint8Array(0)
  let common = keys[0]!
  for (const k of keys) {
    let j = 0
    while (j < common.length && j < k.length && common.charCodeAt(j) === k.charCodeAt(j)) j++
    common = common.slice(0, j)
  }
  return Buffer.from(common, 'latin1')
}

/** One merge pass over consecutive runs into one run, combining when the job has a combiner. */
export function mergeRuns (runs: string[], out: string, combine: ReduceFn | undefined, ctx: Context, bufferBytes?: number): RunInfo {
  const merger = new Merger(runs, { bufferBytes })
  let writer: RunWriter
  try {
    writer = new RunWriter(out, 'merge')
  } catch (e) {
    merger.close() // (its runs are open: a writer that cannot open, EMFILE most likely, must not leak them)
    throw e
  }
  try {
    while (merger.next()) {
      if (combine !== undefined && (merger.size > 1 || merger.count() > 1)) {
        const key = merger.decodedKey()
        let values: unknown[]
        try {
          values = combineValues(combine, key, merger.key, merger.values(), ctx)
        } catch (e) {
          if (e instanceof CombineError) throw new MrstreamError('MRS_ERR_COMBINE', `combine failed (merge): ${e.message}`, { phase: 'combine', key })
          if (e instanceof KeyError) throw new MrstreamError('MRS_ERR_KEY', `combine (merge): ${e.message}`, { phase: 'combine', key })
          if (e instanceof ValueError) throw new MrstreamError('MRS_ERR_VALUE', `combine (merge): ${e.message}`, { phase: 'combine', key })
          throw e
        }
        writer.startGroup(merger.key, values.length)
        for (const v of values) writer.value(v)
      } else {
        const first = merger.member(0)
        writer.startEkeyGroup(first.bytes, first.keyFrom, first.keyTo, merger.count())
        for (let i = 0; i < merger.size; i++) {
          const r = merger.member(i)
          while (r.left > 0) writer.valueBytes(r.nextValueBytes())
        }
      }
    }
    return writer.close()
  } catch (e) {
    writer.abort()
    throw e
  } finally {
    merger.close()
  }
}

// a reader's values read a batch at a time while they are integers (a hot key's, a count's), from
// this many left in its group (fewer are read one by one: no batch is allocated for them)
const BATCH_FROM = 8
const BATCH = 256
const DONE: IteratorResult<unknown> = { value: undefined, done: true }

/**
 * One key's values as an iterator object (with 3 values a key: 35 ns a key against 125 ns for
 * a generator): each member reader's values in run order. Integers are read from the runs a
 * batch at a time (RunReader.readInts) and handed out from it.
 */
class Values implements IterableIterator<unknown> {
  private member = 0
  private batch: Int32Array | undefined
  private at = 0
  private count = 0
  constructor (private readonly merger: Merger) {}

  [Symbol.iterator] (): this { return this }

  next (): IteratorResult<unknown> {
    if (this.at < this.count) {
      tick() // (a reduce that takes each value slowly is alive)
      return { value: this.batch![this.at++], done: false }
    }
    const m = this.merger
    while (this.member < m.size) {
      const r = m.member(this.member)
      if (r.left > 0) {
        tick()
        if (r.left >= BATCH_FROM) {
          this.batch ??= new Int32Array(BATCH)
          const n = r.readInts(this.batch)
          if (n > 0) {
            this.count = n
            this.at = 1
            return { value: this.batch[0], done: false }
          }
        }
        return { value: r.nextValue(), done: false }
      }
      this.member++
    }
    return DONE
  }
}

// %IteratorPrototype%, as a generator's values had: `values.toArray()`, `.map()`... where the
// runtime has iterator helpers (Node 22+)
Object.setPrototypeOf(Values.prototype, Object.getPrototypeOf(Object.getPrototypeOf([][Symbol.iterator]())) as object)
// `values.length` and `values[0]` stay undefined, noted for a warning (mistakes.ts)
guardOnePass(Values.prototype)
