// How much of the suite runs. `npm test` runs the quick depth: every behaviour, with fewer
// random cases, settings and repeats, in about three minutes on 2 cores (CI). `npm run
// test:full` (MRS_TEST=full) runs every case under every setting; MRS_RUNS=<n> scales the
// random cases of the property tests further.

/** Whether this run is the full depth. */
export const FULL = process.env.MRS_TEST === 'full'

/**
 * `all` at the full depth; at the quick depth, `keep` of its elements spread evenly over it
 * (the first one always), so that every kind a list covers in turn still shows up.
 */
export function sample<T> (all: readonly T[], keep: number): T[] {
  if (FULL || keep >= all.length) return [...all]
  return Array.from({ length: keep }, (_, i) => all[Math.floor(i * all.length / keep)]!)
}

/** `full` at the full depth, `quick` at the quick one. */
export function depth<T> (quick: T, full: T): T {
  return FULL ? full : quick
}
