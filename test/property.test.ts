// End-to-end properties: for random inputs, random jobs from a small family, and random
// `--memory`/`--workers`/output settings, the engine's output equals the sequential oracle's
// byte for byte (SPEC §3), and is the same under two different settings.
//
// Reproduce a failure with the seed it prints: MRS_SEED=<seed> npx tap test/property.test.ts
// (MRS_RUNS=<n> scales the number of runs.)
import t from 'tap'
import fc from 'fast-check'
import { compareKeys, compareStrings, formatPairs, linesOf, recordsOf, runJobPairs, tsvField, type Key } from './oracle.js'
import { check, expected, prepare, runCase, Scratch, type Settings } from './helpers/case.js'
import { fileBytes, fileSpecArb, memoryArb, workersArb, smallSpecArb, wordArb } from './helpers/gen.js'
import { jobNames, jobs } from './helpers/jobs.js'

t.setTimeout(900_000)

const SEED = Number(process.env.MRS_SEED ?? 0x6d72)
const RUNS = Number(process.env.MRS_RUNS ?? 1)

const keyArb: fc.Arbitrary<Key> = fc.letrec<{ key: Key }>(tie => ({
  key: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.oneof(fc.integer({ min: -5, max: 5 }), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constantFrom(0, -0)),
    fc.oneof(wordArb, fc.string({ unit: 'grapheme' }), fc.string({ unit: 'binary' })),
    fc.array(tie('key'), { maxLength: 3 }),
  ),
})).key

t.test('oracle self-check', async t => {
  // Code-point order is UTF-8 byte order (SPEC §2), which JS `<` is not for astral chars.
  fc.assert(fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' }), (a, b) => {
    const c = compareStrings(a, b)
    const bytes = Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'))
    return Math.sign(c) === Math.sign(bytes)
  }), { seed: SEED, numRuns: 2000 })
  t.ok(compareStrings('\u{1f600}', '\uffff') > 0, 'astral after U+FFFF')
  t.ok(compareStrings('\u{10000}', '\ue000') > 0, 'astral after U+E000')
  t.ok('\u{10000}' < '\ue000', 'unlike JS <')

  // compareKeys is a total preorder whose ties are exactly equal JSON text (-0 == 0).
  fc.assert(fc.property(keyArb, keyArb, keyArb, (a, b, c) => {
    const ab = compareKeys(a, b)
    if (Math.sign(ab) !== -Math.sign(compareKeys(b, a))) return false
    if ((ab === 0) !== (JSON.stringify(a) === JSON.stringify(b))) return false
    if (ab <= 0 && compareKeys(b, c) <= 0 && compareKeys(a, c) > 0) return false
    return true
  }), { seed: SEED, numRuns: 3000 })
  const ladder: Key[] = [null, false, true, -1e300, -1, -0.5, 0, 1, 2, 10, 1e300, '', '\u0000', '1', 'A', 'a', 'ab', 'b', '\u00e9', '\ue000', '\uffff', '\u{10000}', '\u{10ffff}', [], [null], [0], [0, 0], [1], ['a'], [[]]]
  for (let i = 0; i + 1 < ladder.length; i++) {
    t.ok(compareKeys(ladder[i]!, ladder[i + 1]!) < 0, `${JSON.stringify(ladder[i])} < ${JSON.stringify(ladder[i + 1])}`)
  }
  t.equal(compareKeys(-0, 0), 0, '-0 == 0')

  t.same(linesOf(Buffer.from('a\r\nb\n\nc\rd\r\n\ne')), ['a', 'b', '', 'c\rd', '', 'e'], 'lines: CRLF, LF, empty, lone CR')
  t.same(linesOf(Buffer.from('')), [], 'no bytes, no records')
  t.same(linesOf(Buffer.from('\n')), [''], 'one empty line')
  t.equal(tsvField('a\\b\tc\rd\ne'), 'a\\\\b\\tc\\rd\\ne')
  t.equal(tsvField(-0), '0')
  t.equal(tsvField(['a\tb', null]), '["a\\tb",null]')

  // The oracle's word count agrees with a plain count made another way.
  const job = {
    map: (line: unknown, emit: (k: unknown, v: unknown) => void) => { for (const w of (line as string).split(/\s+/)) if (w) emit(w, 1) },
    reduce: (_k: unknown, vs: Iterable<unknown>) => { let n = 0; for (const v of vs) n += v as number; return n },
  }
  await fc.assert(fc.asyncProperty(fc.array(smallSpecArb, { minLength: 1, maxLength: 3 }), async specs => {
    const inputs = specs.map((s, i) => ({ name: `f${i}`, bytes: fileBytes({ ...s, gzip: i === 1 }) }))
    const got = formatPairs(await runJobPairs(job, recordsOf(inputs)))
    const counts = new Map<string, number>()
    for (const f of inputs) {
      for (const line of linesOf(f.bytes)) for (const w of line.split(/\s+/)) if (w) counts.set(w, (counts.get(w) ?? 0) + 1)
    }
    const want = [...counts].sort(([a], [b]) => Buffer.compare(Buffer.from(a), Buffer.from(b)))
    return got.equals(formatPairs(want))
  }), { seed: SEED, numRuns: 200 })
  t.pass('oracle word count agrees with a direct count')
})

const settingsArb: fc.Arbitrary<Settings> = fc.record({
  memory: memoryArb,
  workers: workersArb,
  outputFormat: fc.constantFrom('tsv' as const, 'tsv' as const, 'ndjson' as const),
  toFile: fc.boolean(),
})

const caseArb = fc.record({
  job: fc.constantFrom(...jobNames),
  files: fc.array(fileSpecArb, { minLength: 1, maxLength: 3 }),
  stdinAt: fc.option(fc.nat(2), { freq: 4 }),
  a: settingsArb,
  b: settingsArb,
})

const kept: string[] = []
t.teardown(() => { if (kept.length) console.error(`# kept failing cases in: ${kept.join(' ')}`) })

async function endToEnd (c: fc.Infer<typeof caseArb>): Promise<void> {
  const scratch = new Scratch()
  let ok = false
  try {
    const files = c.files.map(fileBytes)
    const names = c.files.map((s, i) => `in${i}.txt${s.gzip ? '.gz' : ''}`)
    const stdinIndex = c.stdinAt !== null && c.stdinAt < files.length && !c.files[c.stdinAt]!.gzip ? c.stdinAt : undefined
    const pc = prepare(scratch.dir, jobs[c.job]!, { files, names, stdinIndex })
    const format = c.a.outputFormat ?? 'tsv'
    const want = await expected(pc, format)
    const what = `job ${c.job}, ${files.length} input(s) of ${files.map(f => f.length).join('+')} bytes, case dir ${scratch.dir}`
    const oa = await runCase(pc, c.a)
    check(oa, want, what)
    const ob = await runCase(pc, { ...c.b, outputFormat: format })
    check(ob, want, what)
    if (!oa.output.equals(ob.output)) throw new Error(`${what}: outputs differ between settings`)
    ok = true
  } finally {
    if (ok) scratch.remove()
    else kept.push(scratch.dir)
  }
}

t.test('engine output equals the oracle, under two settings each', async t => {
  const started = Date.now()
  await t.resolves(fc.assert(fc.asyncProperty(caseArb, endToEnd), {
    seed: SEED,
    numRuns: Math.round(36 * RUNS),
    interruptAfterTimeLimit: 600_000,
    markInterruptAsFailure: false,
  }))
  t.comment(`took ${((Date.now() - started) / 1000).toFixed(1)} s`)
})

// Small budgets with large inputs for every job: many spills, merges with more runs than the
// fan-in, and values of one key spread over many runs.
t.test('every job spills and merges at 64KB like in memory', async t => {
  const bigArb = fc.record({
    vocab: fc.array(wordArb, { minLength: 50, maxLength: 3000 }),
    lineCount: fc.integer({ min: 4000, max: 9000 }),
    seed: fc.integer({ min: 0, max: 0x7fffffff }),
    crlfRate: fc.constantFrom(0, 0.5),
    emptyRate: fc.constantFrom(0, 0.05),
    lastTerminated: fc.boolean(),
  })
  for (const job of jobNames) {
    await t.test(job, async t => {
      await t.resolves(fc.assert(fc.asyncProperty(bigArb, workersArb, async (spec, workers) => {
        await endToEnd({
          job,
          files: [{ kind: 'big', gzip: false, ...spec }],
          stdinAt: null,
          a: { memory: '64KB', workers, outputFormat: 'tsv', toFile: false },
          b: { memory: '64MB', workers: 1 + (workers % 4), outputFormat: 'tsv', toFile: true },
        })
      }), { seed: SEED, numRuns: Math.max(1, Math.round(RUNS)) }))
    })
  }
})
