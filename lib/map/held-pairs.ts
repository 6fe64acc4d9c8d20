// Pairs a sort buffer holds before it looks their keys up: with a combiner (the order of a
// key's values does not matter then) and a large index, a pair with an ASCII key and a number
// waits, its key packed (key-index.ts's packAny), until the map call returns or HOLD of them
// wait; the sort buffer then loads their index slots together (SortBuffer.flush). A word count
// over a million distinct words mostly waited for one slot after another.

// pairs held at most: a map call that emits more is served HOLD at a time
export const HOLD = 64
// pairs are held only once the index holds this many keys: its slots (16 bytes each, at most
// three quarters full: 1.4-2.8 MB here) then outgrow a core's L2 cache; where they fit,
// holding costs more than it saves (measured on a real text's 48k words)
export const HOLD_KEYS = 1 << 16

export class HeldPairs {
  /** How many pairs wait. */
  n = 0
  readonly keys: string[] = []
  readonly values: number[] = []
  /** The packed keys, 3 slots a pair (packAny writes pair n's before hold takes it). */
  readonly packed = new Int32Array(3 * HOLD)

  /** Holds a pair whose key is packed at n; true once HOLD wait (they are to be added now). */
  hold (key: string, value: number): boolean {
    const n = this.n
    this.keys[n] = key
    this.values[n] = value
    return (this.n = n + 1) === HOLD
  }

  /** Keeps the pairs after pair j alone, in order (pair j failed: see SortBuffer.flush). */
  keepAfter (j: number): void {
    const n = this.n
    this.keys.copyWithin(0, j + 1, n)
    this.values.copyWithin(0, j + 1, n)
    this.packed.copyWithin(0, 3 * (j + 1), 3 * n)
    this.n = n - (j + 1)
  }
}
