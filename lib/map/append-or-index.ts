// Whether a sort buffer appends its string pairs unindexed, in emit order (the stable sort at
// spill groups them, and a key's numbers are combined there in one call), or indexes them by
// key: an index finds little to combine among keys that repeat a few times, and costs each
// pair a lookup that misses the cache once it outgrows it, and each key its slots. A worker's
// first buffer indexes; it turns to appending when its keys will repeat fewer than
// APPEND_BELOW times each once it is full (willRepeat, asked after SWITCH_PAIRS pairs and four
// times as many each time), and each spill decides for the next buffer from how many pairs
// shared a key in this one (appendsNext).

// Costs in bytes: a string key's index slots (16 bytes each, at least a quarter empty), end offset
// and value slot, besides its UTF-8 bytes; an appended pair's end offset and value slot.
export const STRING_KEY_BYTES = 48
export const ARENA_PAIR_BYTES = 12
// append string pairs once a buffer held fewer than 4 pairs a key; index again above 6. A sum
// over 1.3M keys, 3 pairs each (64 MB, 2 workers), took 0.67x the CPU appended; a real text's
// words (about 90 pairs each) 2.3x
const APPEND_BELOW = 4
const INDEX_ABOVE = 6
// a spill of fewer distinct keys says too little to change anything
const DECIDE_KEYS = 1000
// an indexing buffer looks at how often its string pairs repeated a key after this many, and
// again at four times as many each time
export const SWITCH_PAIRS = 4096

/**
 * Whether a buffer of `budget` bytes, once full, will hold at least APPEND_BELOW pairs a key,
 * from `pairs` looked up so far that held `keys` distinct keys in `bytes`. Guessed as if keys
 * were drawn at random from a set of u: n pairs then hold d = u (1 - e^(-n/u)) keys, about
 * n - n^2 / 2u, hence u from n and d. Few repeats early do not mean few later: 4096 pairs
 * drawn from 100k keys repeat about 80 keys, and a buffer of 20 MB holds each key 8 times.
 */
export function willRepeat (pairs: number, keys: number, bytes: number, budget: number): boolean {
  const n = pairs
  const d = keys
  if (d === 0 || n <= d) return false
  const u = n * d / (2 * (n - d))
  // the pairs a full buffer holds, appended: each key's bytes less its index slots, plus a pair's
  const full = budget / Math.max(ARENA_PAIR_BYTES, bytes / d - STRING_KEY_BYTES + ARENA_PAIR_BYTES)
  return full >= APPEND_BELOW * u * -Math.expm1(-full / u)
}

/**
 * Whether the next buffer appends, after a spill of `distinct` keys from `pairs` string pairs
 * by a buffer that appended or not (with hysteresis; small buffers say little).
 */
export function appendsNext (appending: boolean, pairs: number, distinct: number): boolean {
  if (distinct < DECIDE_KEYS) return appending
  if (!appending && pairs < APPEND_BELOW * distinct) return true
  if (appending && pairs > INDEX_ABOVE * distinct) return false
  return appending
}
