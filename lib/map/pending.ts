// With a job's own combine, a sort buffer counts the pairs whose value is the one most pairs
// carry (a count's 1), per key, instead of combining each with the key's value as it comes
// (sort-buffer.ts's `pendValue`): a key's pending values are combined in one call, as the
// iterator here, when another value comes for the key, when its count is full, and at the
// spill. Combining each pair called the job's combine with a new array of two values, and read
// the key's value slot, a cache miss of its own for a key out of cache.
import { guardOnePass } from '../reduce/mistakes.js'

/**
 * A key's values for one combine call: its stored value, values that came with the call, then
 * `value` `count` times. One-pass, as merges give values: a combine that reads it as an array
 * fails (the pending values are many, where the buffer's two-value arrays happened to work).
 */
export class PendingValues implements IterableIterator<unknown> {
  private at = 0
  private readonly result: { value: unknown, done: boolean } = { value: undefined, done: false }

  constructor (private readonly first: unknown, private readonly more: readonly unknown[], private readonly value: number, private count: number) {}

  [Symbol.iterator] (): this { return this }

  next (): IteratorResult<unknown> {
    const at = this.at
    if (at === 0) {
      this.at = 1
      return { value: this.first, done: false }
    }
    if (at <= this.more.length) {
      this.at = at + 1
      return { value: this.more[at - 1], done: false }
    }
    if (this.count > 0) {
      this.count--
      this.result.value = this.value
      return this.result as IteratorResult<unknown>
    }
    return { value: undefined, done: true }
  }
}

// %IteratorPrototype%, as merges' values have (`values.toArray()` where the runtime has it)
Object.setPrototypeOf(PendingValues.prototype, Object.getPrototypeOf(Object.getPrototypeOf([][Symbol.iterator]())) as object)
// `values.length` and `values[0]` stay undefined, noted, and fail the combine call (combine.ts)
guardOnePass(PendingValues.prototype)
