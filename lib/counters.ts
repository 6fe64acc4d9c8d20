// Built-in and user counters. Tasks count into their own set; a task's counters join the job's
// only when the task is committed, so a failed attempt counts nothing (exactly-once).

export const builtinCounters = {
  records: 'records read',
  bytes: 'bytes read',
  invalidUtf8: 'records with invalid UTF-8',
  pairs: 'pairs emitted',
  badRecords: 'bad records skipped',
  spills: 'spills',
  spilledBytes: 'bytes spilled',
  spilledPairs: 'pairs spilled',
  mergePasses: 'merge passes',
  keys: 'keys reduced',
  written: 'records written',
  retries: 'task retries',
} as const

export type CounterName = keyof typeof builtinCounters
export type Counters = Record<CounterName, number>

export function newCounters (): Counters {
  const c = {} as Counters
  for (const k of Object.keys(builtinCounters) as CounterName[]) c[k] = 0
  return c
}

export function addCounters (into: Counters, from: Partial<Counters>): void {
  for (const k of Object.keys(from) as CounterName[]) if (k in into) into[k] += from[k] ?? 0
}

/** `a` less `b`, counter by counter. */
export function subtractCounters (a: Counters, b: Counters): Counters {
  const c = newCounters()
  for (const k of Object.keys(c) as CounterName[]) c[k] = a[k] - b[k]
  return c
}

export class UserCounters {
  readonly values = new Map<string, number>()
  add (name: string, n = 1): void {
    if (typeof name !== 'string') throw new TypeError('ctx.count(name, n): name must be a string')
    if (typeof n !== 'number' || !Number.isFinite(n)) throw new TypeError(`ctx.count(${JSON.stringify(name)}, n): n must be a finite number`)
    this.values.set(name, (this.values.get(name) ?? 0) + n)
  }

  merge (from: Iterable<[string, number]>): void {
    for (const [k, n] of from) this.values.set(k, (this.values.get(k) ?? 0) + n)
  }

  toJSON (): Record<string, number> {
    return Object.fromEntries([...this.values].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
  }
}
