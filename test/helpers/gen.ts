// Input generators for the property tests. Small inputs are built by fast-check (they shrink
// line by line); large ones (hundreds of KB, to make a 64 KB budget spill many times) are
// expanded from a few fast-check choices by a seeded PRNG, so they shrink by size and seed.
import fc from 'fast-check'
import { gzipSync } from 'node:zlib'

/** Words that probe key order, number parsing and prototype names. */
export const specialWords = [
  'a', 'b', 'the', 'The', 'A', 'z', '1', '-0', '0', '0.0', '01', '1.5', '-2', '10', '9', '-10.25',
  'null', 'true', 'false', '__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf',
  '[x', '[', '[[1', 'é', 'e\u0301', 'É', 'ß', '日本', '中', '😀', '𝔘', '\u{10000}', '\u{10ffff}',
  '\uE000', '\uF8FF', '\uFFFD', '\uFFFF', '\uFFEF', '\\', 'a\\b', '"q"', "'", '{}', '[]', 'x\u0000y',
  'İ', 'Ω', '\u00ff', '\u0100',
]

/** Characters for random words: ASCII, 2- and 3-byte UTF-8, U+E000..U+FFFF, astral (4-byte). */
export const wordChars = [
  'a', 'b', 'c', 'x', 'y', 'z', 'A', 'Z', '0', '1', '9', '-', '.', '_', '\\', '"', "'", '[', ']', '{',
  'é', 'ß', '\u00ff', '\u0100', '\u07ff', '\u0800', '\u4e2d', '\ud7ff', '\ue000', '\uf8ff', '\ufffd', '\uffff',
  '\u{10000}', '\u{1f600}', '\u{1d518}', '\u{10ffff}', '\u0000',
]

/** Separators inside a line: all split words under /\s+/ (a lone CR stays inside the record). */
export const separators = [' ', ' ', ' ', '  ', '\t', ' \t ', '\r', '\f', '\v', '\u00a0']

export const wordArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 2, arbitrary: fc.constantFrom(...specialWords) },
  { weight: 3, arbitrary: fc.array(fc.constantFrom(...wordChars), { minLength: 1, maxLength: 6 }).map(cs => cs.join('')) }
)

/** One line's content (no terminator): words and separators, maybe leading/trailing blanks. */
export const lineArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 1, arbitrary: fc.constant('') },
  {
    weight: 6,
    arbitrary: fc.tuple(
      fc.array(fc.tuple(wordArb, fc.constantFrom(...separators)), { minLength: 1, maxLength: 8 }),
      fc.boolean()
    ).map(([ws, lead]) => (lead ? ' ' : '') + ws.map(([w, s]) => w + s).join('').replace(/ $/, '')),
  }
)

/** Joins lines with \n or \r\n; the last line may lack a terminator (never ending in a lone CR). */
export function joinLines (lines: string[], crlf: boolean[], lastTerminated: boolean): string {
  let out = ''
  for (let i = 0; i < lines.length; i++) {
    const last = i === lines.length - 1
    if (last && !lastTerminated) {
      out += lines[i]!.replace(/\r+$/, '')
      // An empty unterminated last line is no record at all; keep the file's records as given.
      if (lines[i]!.replace(/\r+$/, '') === '') out += '\n'
    } else {
      out += lines[i] + (crlf[i % crlf.length] ? '\r\n' : '\n')
    }
  }
  return out
}

export interface SmallSpec { kind: 'small', lines: string[], crlf: boolean[], lastTerminated: boolean }
export interface BigSpec { kind: 'big', vocab: string[], lineCount: number, seed: number, crlfRate: number, emptyRate: number, lastTerminated: boolean }
export type FileSpec = (SmallSpec | BigSpec) & { gzip: boolean }

export const smallSpecArb: fc.Arbitrary<SmallSpec> = fc.record({
  kind: fc.constant('small' as const),
  lines: fc.array(lineArb, { minLength: 0, maxLength: 60 }),
  crlf: fc.array(fc.boolean(), { minLength: 1, maxLength: 5 }),
  lastTerminated: fc.boolean(),
})

export const bigSpecArb: fc.Arbitrary<BigSpec> = fc.record({
  kind: fc.constant('big' as const),
  vocab: fc.array(wordArb, { minLength: 1, maxLength: 400 }),
  lineCount: fc.integer({ min: 0, max: 5000 }),
  seed: fc.integer({ min: 0, max: 0x7fffffff }),
  crlfRate: fc.constantFrom(0, 0, 0.3, 1),
  emptyRate: fc.constantFrom(0, 0.05, 0.3),
  lastTerminated: fc.boolean(),
})

/** mulberry32: a tiny seeded PRNG, so a big input is a pure function of its spec. */
export function prng (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export function expandBig (spec: BigSpec): string {
  const rnd = prng(spec.seed)
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!
  // A skewed word choice: a few words are frequent (long value lists), most are rare.
  const word = (): string => {
    const r = rnd()
    if (r < 0.5) return spec.vocab[Math.floor(rnd() * Math.min(8, spec.vocab.length))]!
    if (r < 0.6) return pick(specialWords)
    return pick(spec.vocab)
  }
  const lines: string[] = []
  const crlf: boolean[] = []
  for (let i = 0; i < spec.lineCount; i++) {
    crlf.push(rnd() < spec.crlfRate)
    if (rnd() < spec.emptyRate) { lines.push(''); continue }
    const n = 1 + Math.floor(rnd() * 12)
    let line = ''
    for (let j = 0; j < n; j++) line += (j > 0 ? (rnd() < 0.9 ? ' ' : pick(separators)) : '') + word()
    lines.push(line)
  }
  return joinLines(lines, crlf.length ? crlf : [false], spec.lastTerminated)
}

/** The bytes of one input file as stored (gzipped when the spec says so). */
export function fileBytes (spec: FileSpec): Buffer {
  const text = spec.kind === 'small' ? joinLines(spec.lines, spec.crlf, spec.lastTerminated) : expandBig(spec)
  const raw = Buffer.from(text, 'utf8')
  return spec.gzip ? gzipSync(raw) : raw
}

export const fileSpecArb: fc.Arbitrary<FileSpec> = fc.tuple(
  fc.oneof({ weight: 3, arbitrary: smallSpecArb as fc.Arbitrary<SmallSpec | BigSpec> }, { weight: 1, arbitrary: bigSpecArb }),
  fc.boolean().chain(b => b ? fc.constantFrom(false, false, true) : fc.constant(false))
).map(([s, gzip]) => ({ ...s, gzip }))

/** Memory budgets from the engine's minimum up: mostly small, so that pairs spill and merge. */
export const memoryArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('64KB', '64KB', '80KB', '100KB', '128KB', '256KB') },
  { weight: 2, arbitrary: fc.integer({ min: 64, max: 65536 }).map(kb => `${kb}KB`) },
  { weight: 1, arbitrary: fc.constantFrom('1MB', '16MB', '64MB') }
)

export const workersArb: fc.Arbitrary<number> = fc.integer({ min: 1, max: 4 })

/**
 * Lines with bytes that are not UTF-8, each alone between whole characters (0xFF, 0xFE, or a
 * continuation byte without a lead): every decoder makes each of them exactly one U+FFFD.
 */
export const dirtyFileArb: fc.Arbitrary<Buffer> = fc.tuple(
  fc.array(fc.tuple(lineArb, fc.array(fc.tuple(fc.nat(), fc.constantFrom(0xff, 0xfe, 0x80, 0xbf)), { maxLength: 3 })), { minLength: 1, maxLength: 40 }),
  fc.boolean()
).map(([lines, crlf]) => Buffer.concat(lines.map(([line, dirt]) => {
  const chars = [...line.replace(/\r+$/, '')].map(c => Buffer.from(c, 'utf8'))
  for (const [at, byte] of dirt) chars.splice(at % (chars.length + 1), 0, Buffer.from([byte]))
  return Buffer.concat([...chars, Buffer.from(crlf ? '\r\n' : '\n')])
})))

/** One line longer than any sensible read chunk, of multi-byte characters, without a final newline. */
export function longLine (bytes: number, seed: number): Buffer {
  const rnd = prng(seed)
  let s = ''
  let n = 0
  while (n < bytes) {
    const c = wordChars[Math.floor(rnd() * wordChars.length)]! + (rnd() < 0.2 ? ' ' : '')
    s += c
    n += Buffer.byteLength(c)
  }
  return Buffer.from(s)
}

/** A large input for a small budget (64KB): many spills, merges with more runs than the fan-in, a key's values over many runs. */
export const spillingSpecArb = fc.record({
  vocab: fc.array(wordArb, { minLength: 50, maxLength: 3000 }),
  lineCount: fc.integer({ min: 1500, max: 3000 }),
  seed: fc.integer({ min: 0, max: 0x7fffffff }),
  crlfRate: fc.constantFrom(0, 0.5),
  emptyRate: fc.constantFrom(0, 0.05),
  lastTerminated: fc.boolean(),
})
