// The order of a spill's string keys, as indexes: a numeric sort on fixed-size key prefixes,
// then full string comparisons only among keys whose prefixes tie. A key's prefix is the
// UTF-16 units after the prefix all keys share, each as its rank among the units that occur
// there (hex digits take 5 bits, not 8), as many as fit; a surrogate ranks above every other
// unit and ends the prefix (that keeps code point order and only makes more ties). Prefix and
// index are packed into one double (prefix * 2^bits + index, exact below 2^53), so
// Float64Array's native numeric sort orders them, equal keys stay in index order, and the
// index finds the value without a second hash lookup. Measured against `keys.slice().sort()`
// then a lookup per key: 430k 11-char hex keys 290-530 -> 75-90 ms; 400k text lines 420-440
// -> 160-200 ms.

// how many characters after the common prefix can count (as many as fit in the bits left)
const WINDOW = 12

/** Compares in code point order (UTF-8 byte order); UTF-16 order differs only around surrogates. */
export function compareCodePoints (a: string, b: string): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i)
    let y = b.charCodeAt(i)
    if (x === y) continue
    if (x >= 0xd800) x = x >= 0xe000 ? x - 0x800 : x + 0x2000
    if (y >= 0xd800) y = y >= 0xe000 ? y - 0x800 : y + 0x2000
    return x - y
  }
  return a.length - b.length
}

/** Compares in UTF-16 code unit order, which is code point order for keys without surrogates. */
function compareUnits (a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/** Length of the prefix that keys[0, n) share. */
function commonPrefix (keys: readonly string[], n: number): number {
  const first = keys[0]!
  let lcp = first.length
  for (let i = 1; i < n && lcp > 0; i++) {
    const k = keys[i]!
    const n = Math.min(lcp, k.length)
    let j = 0
    while (j < n && k.charCodeAt(j) === first.charCodeAt(j)) j++
    lcp = j
  }
  return lcp
}

/**
 * Indexes of keys[0, n) in code point order (equal keys in index order). `surrogates`: some key holds a
 * surrogate pair, so ties must be broken in code point order rather than UTF-16 order.
 */
export function sortKeys (keys: readonly string[], surrogates: boolean, n = keys.length): Uint32Array {
  const order = new Uint32Array(n)
  if (n === 0) return order
  const bits = Math.max(1, Math.ceil(Math.log2(n)))
  if (bits > 29) throw new RangeError(`too many keys to sort at once: ${n}`)
  const scale = 2 ** bits
  const at = commonPrefix(keys, n)
  // the UTF-16 units that occur in the window, ranked in order (0 for NUL and past the end);
  // a surrogate ranks above them all (astral characters sort after the BMP) and ends the prefix
  const rank = new Uint16Array(0x10000)
  let astral = false
  for (let i = 0; i < n; i++) {
    const k = keys[i]!
    const end = Math.min(k.length, at + WINDOW)
    for (let j = at; j < end; j++) {
      const c = k.charCodeAt(j)
      if (c >= 0xd800 && c <= 0xdfff) { astral = true; break }
      rank[c] = 1
    }
  }
  rank[0] = 0
  let symbols = 1
  for (let c = 1; c < 0x10000; c++) if (rank[c] !== 0) rank[c] = symbols++
  const top = astral ? symbols++ : 0
  const radix = 2 ** Math.max(1, Math.ceil(Math.log2(symbols)))
  const chars = Math.min(WINDOW, Math.floor((53 - bits) / Math.log2(radix)))
  const packed = new Float64Array(n)
  for (let i = 0; i < n; i++) {
    const k = keys[i]!
    let p = 0
    let open = true
    for (let j = at; j < at + chars; j++) {
      // NaN past the end: `| 0` makes it 0, below every character
      const c = open ? k.charCodeAt(j) | 0 : 0
      if (c >= 0xd800 && c <= 0xdfff) {
        p = p * radix + top
        open = false
      } else {
        p = p * radix + rank[c]!
      }
    }
    packed[i] = p * scale + i
  }
  packed.sort()
  const scratch = new Uint32Array(n)
  for (let i = 0; i < n; i++) {
    const v = packed[i]!
    order[i] = v - Math.floor(v / scale) * scale
  }
  // from the window's start: a surrogate ended some prefixes early, and NUL ties with the end
  eachTie(packed, 0, n, scale, (from, to) => { refine(order, from, to, keys, at, surrogates, packed, scratch) })
  return order
}

// groups this small are insertion-sorted; larger ones are packed again
const SMALL = 12
// 17 bits a unit in refining passes: 0 for past the end, the unit + 1 otherwise
const UNIT = 0x20000

/**
 * Sorts order[from, to), whose keys agree on their units before `depth`, keeping index order
 * for equal keys: insertion sort for a few keys; else the units they share are skipped, the
 * next ones (two for up to 2^19 keys) packed with the key's position into packed[from, to),
 * sorted, and each tie group refined in turn from there. Refining replaced a comparator sort
 * of every tie group (`TypedArray.sort` calls a comparator slowly): a comparator was 1 s of a
 * worker's 15 s on 256 MB of text lines, whose first 4 characters left half the keys tied.
 */
function refine (order: Uint32Array, from: number, to: number, keys: readonly string[], depth: number, surrogates: boolean, packed: Float64Array, scratch: Uint32Array): void {
  const n = to - from
  if (n <= SMALL) return insertionSort(order, from, to, keys, surrogates ? compareCodePoints : compareUnits)
  // skip what the group shares; all equal: they stay in index order
  const first = keys[order[from]!]!
  let lcp = first.length - depth
  for (let i = from + 1; i < to && lcp > 0; i++) {
    const k = keys[order[i]!]!
    const m = Math.min(lcp, k.length - depth)
    let j = 0
    while (j < m && k.charCodeAt(depth + j) === first.charCodeAt(depth + j)) j++
    lcp = j
  }
  depth += Math.max(0, lcp)
  const bits = Math.ceil(Math.log2(n))
  const scale = 2 ** bits
  const units = Math.max(1, Math.floor((53 - bits) / 17))
  let ended = true
  for (let i = 0; i < n; i++) {
    const k = keys[order[from + i]!]!
    let p = 0
    for (let j = depth; j < depth + units; j++) {
      let c = j < k.length ? k.charCodeAt(j) : -1
      if (surrogates && c >= 0xd800) c = c >= 0xe000 ? c - 0x800 : c + 0x2000
      p = p * UNIT + c + 1
    }
    if (p !== 0) ended = false
    packed[from + i] = p * scale + i
  }
  if (ended) return // every key ends before depth: they are equal
  scratch.set(order.subarray(from, to), from)
  packed.subarray(from, to).sort()
  for (let i = from; i < to; i++) {
    const v = packed[i]!
    order[i] = scratch[from + v - Math.floor(v / scale) * scale]!
  }
  // then the tie groups (refining one overwrites its part of packed and scratch)
  eachTie(packed, from, to, scale, (a, b) => { refine(order, a, b, keys, depth + units, surrogates, packed, scratch) })
}

/**
 * Calls `refine` on each run of two or more equal prefixes in the sorted packed[from, to)
 * (prefix = floor(value / scale)). A refine may overwrite packed within its own run only.
 */
export function eachTie (packed: Float64Array, from: number, to: number, scale: number, refine: (from: number, to: number) => void): void {
  let prev = -1
  let start = from
  for (let i = from; i < to; i++) {
    const p = Math.floor(packed[i]! / scale)
    if (p !== prev) {
      if (i - start > 1) refine(start, i)
      prev = p
      start = i
    }
  }
  if (to - start > 1) refine(start, to)
}

/** Stable insertion sort of order[from, to) by key. */
function insertionSort (order: Uint32Array, from: number, to: number, keys: readonly string[], compare: (a: string, b: string) => number): void {
  for (let i = from + 1; i < to; i++) {
    const x = order[i]!
    const k = keys[x]!
    let j = i - 1
    while (j >= from && compare(keys[order[j]!]!, k) > 0) {
      order[j + 1] = order[j]!
      j--
    }
    order[j + 1] = x
  }
}
