// The sort buffer's index of string keys: an open-addressing hash table (linear probing) with
// slots in one Int32Array, keys and values in plain arrays by insertion index. Measured on
// 6.9M words, 187k distinct: 108 ns a word against 225 ns for a Map get + set; a Map lookup
// misses the cache on its bucket, its entry and the key, and a count needs two lookups.
// Each slot holds (index + 1, hash): 0 is empty, and a probe compares hashes before strings.

// A per-process seed, so that keys chosen to collide in one run do not collide in another.
const SEED = (Math.random() * 0x100000000) | 0
const MIN_SLOTS = 1 << 10

/** FNV-1a over UTF-16 code units, seeded. */
export function hashString (s: string): number {
  let h = SEED ^ 0x811c9dc5
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193)
  return h ^ (h >>> 15)
}

export class StringTable<V> {
  /** Keys and values by insertion index. */
  readonly keys: string[] = []
  readonly values: V[] = []
  private slots = new Int32Array(2 * MIN_SLOTS)
  private mask = MIN_SLOTS - 1
  // where the last failed find stopped, for insert
  private missSlot = -1
  private missHash = 0

  get size (): number { return this.keys.length }

  /** The key's index, or -1 (then `insert` may add that same key). */
  find (key: string): number {
    const h = hashString(key)
    const slots = this.slots
    const mask = this.mask
    let i = h & mask
    for (;;) {
      const at = slots[2 * i]!
      if (at === 0) break
      if (slots[2 * i + 1] === h && this.keys[at - 1] === key) return at - 1
      i = (i + 1) & mask
    }
    this.missSlot = i
    this.missHash = h
    return -1
  }

  /** Adds the key the last `find` missed (or an equal string); returns its index. */
  insert (key: string, value: V): number {
    const index = this.keys.length
    this.keys.push(key)
    this.values.push(value)
    this.slots[2 * this.missSlot] = index + 1
    this.slots[2 * this.missSlot + 1] = this.missHash
    this.missSlot = -1
    // at most half full, so probes stay short
    if (2 * (index + 1) > this.mask) this.grow()
    return index
  }

  clear (): void {
    this.keys.length = 0
    this.values.length = 0
    this.slots.fill(0) // keeps its size: the next run will likely need as many keys
  }

  private grow (): void {
    const old = this.slots
    const n = 2 * (this.mask + 1)
    const slots = new Int32Array(2 * n)
    const mask = n - 1
    for (let i = 0; i < old.length; i += 2) {
      if (old[i] === 0) continue
      let j = old[i + 1]! & mask
      while (slots[2 * j] !== 0) j = (j + 1) & mask
      slots[2 * j] = old[i]!
      slots[2 * j + 1] = old[i + 1]!
    }
    this.slots = slots
    this.mask = mask
  }
}
