// Mistakes in a job that raise no error but leave the output empty or wrong: a reduce that
// returns nothing for every key (a missing `return`), and a key's one-pass values used as an
// array (`values.length` is undefined). The engine and the streaming commands warn of them.

/** What reduce tasks saw of the job's reduce calls that points to a mistake. */
export interface ReduceNotes {
  /** keys whose reduce returned undefined, emitted nothing and did not throw */
  silent: number
  /** array members read on a key's values (`values.length`, `values[0]`), with how many times */
  misuse: Record<string, number>
}

export function newNotes (): ReduceNotes {
  return { silent: 0, misuse: {} }
}

export function addNotes (into: ReduceNotes, from: ReduceNotes): void {
  into.silent += from.silent
  for (const [name, n] of Object.entries(from.misuse)) into.misuse[name] = (into.misuse[name] ?? 0) + n
}

// this thread's reads of array members on values, since takeMisuse last took them
let misuse: Record<string, number> = {}
let misuses = 0

/** How many array members were read on values so far (a reduce call's reads: the difference). */
export function misuseCount (): number { return misuses }

/** The array members read on values since the last call, and forgets them. */
export function takeMisuse (): Record<string, number> {
  const taken = misuse
  misuse = {}
  return taken
}

/** `values.length`, `values[0]`, `values.slice` */
function member (name: string): string {
  return /^\d+$/.test(name) ? `values[${name}]` : `values.${name}`
}

/**
 * Array members a values iterator lacks, as getters on its prototype that count a read and
 * return undefined (what the read gave before): `length`, the first indexes, and the array
 * methods the runtime's iterators do not have (Node 22 gives them map, filter, reduce...).
 * The calls of a reduce that iterates its values never touch them.
 */
export function guardOnePass (proto: object): void {
  const methods = ['map', 'filter', 'reduce', 'forEach', 'some', 'every', 'find', 'findIndex', 'findLast', 'includes', 'indexOf', 'lastIndexOf', 'join', 'slice', 'splice', 'sort', 'reverse', 'at', 'concat', 'flat', 'flatMap', 'toSorted', 'push', 'pop', 'shift']
  const names = ['length', ...Array.from({ length: 10 }, (_, i) => String(i)), ...methods.filter(m => !(m in proto))]
  for (const name of names) {
    Object.defineProperty(proto, name, {
      get () {
        misuse[name] = (misuse[name] ?? 0) + 1
        misuses++
        return undefined
      },
      configurable: true,
    })
  }
}

/** The one-pass rule, for a reduce that read `name` on its values. */
export function onePassHint (name: string): string {
  return `${member(name)} is undefined: values is one-pass, an iterator, not an array; iterate it once with for...of (counting as you go), or make an array with [...values]`
}

/** The last array member read on values, since `since` (a misuseCount()), for an error's hint. */
export function misusedSince (since: number): string | undefined {
  if (misuses === since) return undefined
  const names = Object.keys(misuse)
  return names[names.length - 1]
}

/**
 * Warnings for one step of a job (`step` prefixes them in a chain): its reduce (or a streaming
 * combine) returned undefined and emitted nothing for every key; it read array members on its
 * values; its map emitted nothing for any record.
 */
export function stepWarnings (fn: 'reduce' | 'combine', c: { records: number, pairs: number, keys: number }, notes: ReduceNotes, step = ''): string[] {
  const out: string[] = []
  const misused = Object.keys(notes.misuse)
  const reads = Object.values(notes.misuse).reduce((a, b) => a + b, 0)
  const hint = misused.length === 0 ? undefined : `${misused.map(member).join(', ')} read ${reads} time${reads === 1 ? '' : 's'}: ${onePassHint(misused[0]!).replace(/^\S+ is undefined: /, '')}`
  if (c.keys > 0 && notes.silent === c.keys) {
    const all = c.keys === 1 ? 'the 1 key' : `all ${c.keys} keys`
    out.push(`${fn} returned undefined for ${all} and emitted nothing, so it wrote nothing: ${hint ?? `a missing \`return\`? (${fn}'s return value is written with its key; emit(key, value) writes more)`}`)
  } else if (hint !== undefined) {
    out.push(`${fn}: ${hint}`)
  }
  if (c.records > 0 && c.pairs === 0) out.push(`map emitted nothing for ${c.records === 1 ? 'the 1 record' : `any of ${c.records} records`}: its return value is not written; call emit(key, value)`)
  return out.map(w => `${step}${w}`)
}
