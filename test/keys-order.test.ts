// Key order and value round-trip end to end (docs/semantics.md), in memory and through spills:
// null < false < true < numbers < strings (code point order) < arrays; -0 and 0 one key;
// `1` and `"1"` two keys; prototype names ordinary keys; every value type indistinguishable
// after the engine carried it.
import t, { type Test } from 'tap'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { compareKeys, formatPairs, type Key, type OutputFormat } from './oracle.js'
import { check, expectOk, expected, pickRunner, prepare, runCase, Scratch, type PreparedCase } from './helpers/case.js'
import { prng } from './helpers/gen.js'
import type { JobSource } from './helpers/jobs.js'
import { valuesJobSource } from './helpers/values-job.js'

t.setTimeout(600_000)

/** The matrix, in the order docs/semantics.md puts it (each entry one key; -0 and 0 share an entry). */
const ordered: Key[][] = [
  [null], [false], [true],
  [-1e308], [-1.5], [-1], [-0, 0], [5e-324], [0.5], [1], [2], [10], [1e21],
  [''], ['\u0000'], ['\t'], ['\n'], ['\r'], [' '], ['"'], ['-0'], ['0'], ['1'], ['10'], ['2'], ['A'], ['Z'], ['\\'],
  ['__proto__'], ['a'], ['a\u0000'], ['ab'], ['constructor'], ['hasOwnProperty'], ['toString'], ['valueOf'], ['z'],
  ['\u007f'], ['\u0080'], ['\u00e9'], ['\u07ff'], ['\u0800'], ['\u4e2d'], ['\ud7ff'],
  ['\ue000'], ['\uf8ff'], ['\ufffd'], ['\uffff'], ['\u{10000}'], ['\u{1d518}'], ['\u{1f600}'], ['\u{10ffff}'],
  [[]], [[null]], [[false]], [[true]], [[-1]], [[0], [-0]], [[0, null]], [[0, 'a']], [[0, []]], [[1]], [['1']],
  [['__proto__']], [['a']], [['a', 'b']], [['b']], [['\uffff']], [['\u{10000}']], [[[]]], [[[null]]], [[[0, 1]]], [[[1]]],
]

// A line is the key as JSON (JSON.parse('-0') is -0); reduce lists the line numbers it saw.
const keyJob: JobSource = {
  name: 'keys',
  ext: 'mjs',
  source: `export function map (line, emit, ctx) {
  emit(JSON.parse(line), ctx.line)
}
export function reduce (key, lines) {
  const out = []
  for (const l of lines) out.push(l)
  return out
}
`,
}

function shuffled<T> (xs: T[], seed: number): T[] {
  const rnd = prng(seed)
  const out = xs.slice()
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1))
    const tmp = out[i]!
    out[i] = out[j]!
    out[j] = tmp
  }
  return out
}

/** JSON text of a key that keeps -0 (JSON.stringify writes it as 0; JSON.parse reads -0 back). */
function spell (k: Key): string {
  if (Object.is(k, -0)) return '-0'
  if (Array.isArray(k)) return '[' + k.map(spell).join(',') + ']'
  return JSON.stringify(k)
}

/** `repeat` copies of every spelling, shuffled; and the output docs/semantics.md predicts for them. */
function matrixCase (repeat: number, seed: number, format: OutputFormat): { input: Buffer, want: Buffer } {
  const spellings: Array<{ entry: number, text: string }> = []
  ordered.forEach((entry, i) => {
    for (const k of entry) spellings.push({ entry: i, text: spell(k) })
  })
  const lines = shuffled(Array.from({ length: repeat }, () => spellings).flat(), seed)
  const seen = ordered.map(() => [] as number[])
  lines.forEach((l, i) => seen[l.entry]!.push(i + 1))
  const pairs = ordered.map((entry, i) => [entry[0], seen[i]] as [unknown, unknown])
  return { input: Buffer.from(lines.map(l => l.text).join('\n') + '\n'), want: formatPairs(pairs, format) }
}

t.test('the matrix is in semantics order by the oracle too', async t => {
  for (let i = 0; i + 1 < ordered.length; i++) {
    t.ok(compareKeys(ordered[i]![0]!, ordered[i + 1]![0]!) < 0, `${JSON.stringify(ordered[i]![0])} < ${JSON.stringify(ordered[i + 1]![0])}`)
  }
  const { input } = matrixCase(1, 1, 'tsv')
  t.match(input.toString(), /^-0$/m, 'the input spells -0')
  t.match(input.toString(), /^\[-0\]$/m, 'and [-0]')
})

/** Spill evidence from --stats, when the engine writes it: a counter named `spills`. */
function spillCount (statsPath: string): number | undefined {
  if (!existsSync(statsPath)) return undefined
  let found: number | undefined
  const walk = (o: unknown, name: string): void => {
    if (typeof o === 'number' && /^spills?$/i.test(name)) found = Math.max(found ?? 0, o)
    else if (o && typeof o === 'object') for (const [k, v] of Object.entries(o)) walk(v, k)
  }
  walk(JSON.parse(readFileSync(statsPath, 'utf8')), '')
  return found
}

/**
 * Runs with 1 worker in process (`main(argv, io)`) and with 3 workers through the binary (faster
 * under tap: see Runner in helpers/case.ts); with `spills`, checks (when --stats has a `spills`
 * counter) that the runs spilled several times.
 */
async function runAndCheck (t: Test, pc: PreparedCase, want: Buffer, memory: string, format: OutputFormat, what: string, spills: boolean): Promise<void> {
  for (const workers of [1, 3]) {
    const stats = join(pc.dir, `stats-${memory}-${format}-${workers}.json`)
    const o = await runCase(pc, { memory, workers, outputFormat: format }, ['--stats', stats], pickRunner(workers === 1 ? 'main' : 'cli'))
    expectOk(t, () => check(o, want, what), `${what}, --memory ${memory}, --workers ${workers}, ${format}`)
    const n = spillCount(stats)
    if (spills && n !== undefined) t.ok(n > 4, `it spilled several times (${n})`)
  }
}

for (const [memory, repeat, spills] of [['64MB', 3, false], ['64KB', 400, true]] as const) {
  t.test(`key order, --memory ${memory}${spills ? ' (spills)' : ''}`, async t => {
    const scratch = new Scratch()
    t.teardown(() => scratch.remove())
    for (const format of ['tsv', 'ndjson'] as const) {
      const { input, want } = matrixCase(repeat, 7, format)
      const pc = prepare(join(scratch.dir, format), keyJob, { files: [input] })
      t.ok((await expected(pc, format)).equals(want), 'the oracle predicts the hand-ordered output')
      await runAndCheck(t, pc, want, memory, format, `key matrix x${repeat}`, spills)
    }
  })
}

// Prototype names as keys through a combiner (a combiner keyed by a plain object would lose them).
const protoJob: JobSource = {
  name: 'proto',
  ext: 'mjs',
  source: `function sum (key, values) { let n = 0; for (const v of values) n += v; return n }
export function map (line, emit) { for (const w of line.split(' ')) if (w) emit(w, 1) }
export const reduce = sum
export const combine = sum
`,
}

for (const [memory, repeat, spills] of [['64MB', 5, false], ['64KB', 3000, true]] as const) {
  t.test(`prototype names are ordinary keys, with combine, --memory ${memory}`, async t => {
    const scratch = new Scratch()
    t.teardown(() => scratch.remove())
    const words = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__', 'prototype', 'length', 'x']
    const rnd = prng(3)
    const counts = new Map<string, number>()
    const lines: string[] = []
    for (let i = 0; i < repeat; i++) {
      const n = 1 + Math.floor(rnd() * 6)
      const ws = Array.from({ length: n }, () => words[Math.floor(rnd() * words.length)]! + (rnd() < 0.3 ? String(i % 200) : ''))
      for (const w of ws) counts.set(w, (counts.get(w) ?? 0) + 1)
      lines.push(ws.join(' '))
    }
    const want = formatPairs([...counts].sort(([a], [b]) => compareKeys(a, b)))
    const pc = prepare(scratch.dir, protoJob, { files: [Buffer.from(lines.join('\n'))] })
    t.ok((await expected(pc)).equals(want), 'the oracle agrees with a direct count')
    await runAndCheck(t, pc, want, memory, 'tsv', 'prototype-name word count', spills)
  })
}

async function valuesCase (t: Test, records: number, memory: string, bigString: boolean, spills: boolean): Promise<void> {
  const scratch = new Scratch()
  t.teardown(() => scratch.remove())
  const job: JobSource = { name: 'values', ext: 'mjs', source: valuesJobSource(bigString) }
  const input = Buffer.from(Array.from({ length: records }, (_, i) => String(i)).join('\n') + '\n')
  const pc = prepare(scratch.dir, job, { files: [input] })
  // The oracle runs the same job in memory: with no engine in between, every value must be ok.
  const want = await expected(pc)
  const wantText = want.toString()
  t.notMatch(wantText, /\tbad:/, 'the job\'s own check passes without the engine')
  t.equal(wantText.split('\n').filter(l => l.endsWith('\tok')).length, records + 3, 'one ok per record and per group')
  await runAndCheck(t, pc, want, memory, 'tsv', `values of every type, ${records} records`, spills)
}

t.test('values round-trip, in memory', t => valuesCase(t, 150, '64MB', false, false))
t.test('values round-trip, through spills', t => valuesCase(t, 3000, '64KB', false, true))
t.test('values round-trip, a 100 KB string value through a 64 KB budget', t => valuesCase(t, 1000, '64KB', true, true))

// A value the engine cannot carry is an error, never a silent change (docs/semantics.md).
const refuse: Array<[string, string]> = [
  ['a class instance', 'new (class Point { constructor () { this.x = 1 } })()'],
  ['a function', '() => 1'],
  ['a symbol', 'Symbol("s")'],
  ['an object with a symbol key', '({ a: 1, [Symbol("s")]: 2 })'],
  ['a Float64Array', 'new Float64Array([1.5])'],
]
t.test('values the engine cannot carry are refused', async t => {
  const scratch = new Scratch()
  t.teardown(() => scratch.remove())
  for (const [i, [what, expr]] of refuse.entries()) {
    // in memory and through spills, in turn
    for (const memory of [i % 2 === 0 ? '64MB' : '64KB']) {
      const job: JobSource = {
        name: 'refuse',
        ext: 'mjs',
        source: `export function map (line, emit, ctx) { emit('k' + (ctx.line % 10), ctx.line === 2000 ? ${expr} : ctx.line) }
export function reduce (key, values) { let n = 0; for (const v of values) n += typeof v === 'number' ? 1 : 1000; return n }
`,
      }
      const pc = prepare(join(scratch.dir, `${what.replace(/\W+/g, '-')}-${memory}`), job, { files: [Buffer.from(Array.from({ length: 4000 }, (_, i) => String(i)).join('\n'))] })
      const o = await runCase(pc, { memory, workers: 2 }, [], pickRunner('cli'))
      t.not(o.result.code, 0, `${what} (--memory ${memory}): exit ${o.result.code}, output ${JSON.stringify(o.output.toString().slice(0, 200))}`)
    }
  }
})
