// The sum of floats as it is exactly, then rounded once: the reference the built-in sum is
// checked against (test/job/sum.unit.ts, test/sum.test.ts), independent of lib/job/sum.ts's
// partials. Each finite float is an integer count of 2^-1074, the smallest float.
/** The sum of xs: exact in bigints (units of 2^-1074), rounded to nearest, ties to even. */
export function exactSum (xs: number[]): number {
  let special = 0
  let n = 0n
  for (const x of xs) {
    if (!Number.isFinite(x)) { special += x; continue }
    if (x === 0) continue
    const view = new DataView(new ArrayBuffer(8))
    view.setFloat64(0, Math.abs(x))
    const b = view.getBigUint64(0)
    const exp = Number(b >> 52n)
    const m = b & ((1n << 52n) - 1n)
    const units = exp === 0 ? m : (m | (1n << 52n)) << BigInt(exp - 1)
    n += x < 0 ? -units : units
  }
  if (special !== 0) return special
  if (n === 0n) return 0
  const a = n < 0n ? -n : n
  // round a * 2^-1074 to 53 bits, by hand: the bits above, and what is below
  const len = a.toString(2).length
  const drop = Math.max(0, len - 53)
  let q = a >> BigInt(drop)
  const rest = a - (q << BigInt(drop))
  const half = drop === 0 ? 0n : 1n << BigInt(drop - 1)
  if (rest > half || (rest === half && drop > 0 && (q & 1n) === 1n)) q += 1n
  let r = Number(q) // (exact: at most 2^53)
  for (let e = drop - 1074; e !== 0;) { // scaled in steps that stay exact
    const step = Math.max(-1000, Math.min(1000, e))
    r *= 2 ** step
    e -= step
  }
  return n < 0n ? -r : r
}
