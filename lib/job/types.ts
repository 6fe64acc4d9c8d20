// The shapes of a job and of what the engine gives its functions: the types a job module,
// the library's defineJob() and the engine share.

export interface Context {
  /** The input file as given on the command line (`-` for stdin). */
  file: string
  /** 1-based line number of the record within its file (its first line, for multi-line records). */
  line: number
  /** Adds n to a user counter, summed across the job. */
  count (name: string, n?: number): void
}

/** Gives a pair to the engine: called by map (and by combine and reduce) any number of times. */
export type Emit<K = any, V = any> = (key: K, value: V) => void
/** Called once per record; what it emits is the job's pairs. May return a promise (awaited). */
export type MapFn<R = any, K = any, V = any> = (record: R, emit: Emit<K, V>, ctx: Context) => void | Promise<void>
/**
 * Called once per key, in key order, with the key's values as a one-pass iterable; what it
 * returns (unless undefined) is written with the key, after what it emitted.
 */
export type ReduceFn<K = any, V = any, O = any> = (key: K, values: Iterable<V>, emit: Emit<K, O>, ctx: Context) =>
  O | undefined | void | Promise<O | undefined | void>

/**
 * A job: records of type R, pairs of keys K and values V, output values O. Only `map` is
 * required (without `reduce` the job is map-only); `combine` pre-aggregates a key's values
 * (associative and commutative, returning a V); `partition` picks a key's part file for
 * --reducers.
 */
export interface Job<R = any, K = any, V = any, O = any> {
  map: MapFn<R, K, V>
  /** None (omitted, or null) for a map-only job: its pairs are the output, in input order. */
  reduce?: ReduceFn<K, V, O> | null
  combine?: ReduceFn<K, V, V>
  partition?: (key: K, n: number) => number
  /**
   * Keys are arrays; reduce is called once per group of keys that share their first `groupBy`
   * elements, with the group's values in full-key order (a secondary sort) and the group as its
   * key: the first element when groupBy is 1, else the array of the first groupBy elements.
   */
  groupBy?: number
}
