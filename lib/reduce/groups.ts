// A job's `groupBy = n`: reduce once per group of keys that share their first n elements, the
// group's values streamed in full-key order (its member keys are consecutive in the merge:
// keys.ts), as Hadoop's grouping comparator gives a secondary sort.
import { MrstreamError } from '../errors.js'
import { decodeKey, groupEkey, groupEnd, type Key } from '../codec/keys.js'
import type { Merger } from '../runs/merge.js'
import { guardOnePass } from './mistakes.js'

const DONE: IteratorResult<unknown> = { value: undefined, done: true }

/**
 * The values of the group of the merger's current key: each member key's in turn, the merger
 * moved on key by key as they are read. Invariant: until `ended`, the merger's current key is
 * in the group; once ended, it is the next group's first key (if `more`).
 */
export class GroupByValues implements IterableIterator<unknown> {
  /** The group as reduce receives it, and its ekey (its partition's). */
  readonly key: Key
  readonly ekey: string
  private readonly prefix: string
  private values: IterableIterator<unknown>
  private ended = false
  private more = true

  constructor (private readonly merger: Merger, n: number) {
    const first = merger.key
    const end = groupEnd(first, n)
    // (map refuses such keys: a run holding one is not this job's)
    if (end === -1) throw new MrstreamError('MRS_ERR_RUN_CORRUPT', `reduce: a key that is not an array of ${n} or more elements under groupBy = ${n}`, { phase: 'reduce' })
    this.prefix = first.slice(0, end)
    this.ekey = groupEkey(this.prefix, n)
    this.key = decodeKey(this.ekey)
    this.values = merger.values()
  }

  [Symbol.iterator] (): this { return this }

  next (): IteratorResult<unknown> {
    while (!this.ended) {
      const r = this.values.next()
      if (r.done !== true) return r
      this.nextMember()
    }
    return DONE
  }

  /** Moves the merger past what reduce left of the group; whether a next group follows. */
  skipRest (): boolean {
    while (!this.ended) this.nextMember()
    return this.more
  }

  private nextMember (): void {
    this.more = this.merger.next()
    if (this.more && this.merger.key.startsWith(this.prefix)) this.values = this.merger.values()
    else this.ended = true
  }
}
Object.setPrototypeOf(GroupByValues.prototype, Object.getPrototypeOf(Object.getPrototypeOf([][Symbol.iterator]())) as object)
guardOnePass(GroupByValues.prototype)
