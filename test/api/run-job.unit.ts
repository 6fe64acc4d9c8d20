// runJob() over the bundled examples: the same output as the command line over the same
// records; and a few records still make several map tasks.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { formatPairs, linesOf } from '../oracle.js'
import { cleanEnv, runCli } from '../helpers/run.js'
import { runJob } from 'mrstream'
import { sample } from '../helpers/depth.js'

t.setTimeout(600_000)

const root = fileURLToPath(new URL('../../', import.meta.url))
const books = ['examples/data/pg-metamorphosis.txt', 'examples/data/pg-being_ernest.txt']
const examples: Array<[string, string[]]> = [
  ['examples/wordcount.js', books],
  ['examples/paths.js', ['examples/data/access.log']],
  ['examples/histogram.js', books],
  ['examples/lengths.ts', books],
  ['examples/sessions.js', ['examples/data/events.ndjson']],
]

// (the quick depth: three of the five, the TypeScript one among them)
for (const [job, inputs] of sample(examples, 3)) {
  t.test(job, async t => {
    // (ndjson records as the objects they hold)
    const records = inputs.flatMap(f => linesOf(readFileSync(root + f)).map(l => f.endsWith('.ndjson') ? JSON.parse(l) as unknown : l))
    const { pairs, counters } = await runJob(root + job, records)
    // (a chain's counters add up its steps)
    if (!job.includes('histogram')) t.equal(counters.records, records.length, 'every record read once')
    const cli = await runCli(['--job', job, '-q', ...inputs], { env: cleanEnv(), cwd: root })
    t.equal(cli.code, 0, cli.stderr)
    t.ok(cli.stdout.length > 0, 'some output')
    t.ok(formatPairs(pairs).equals(cli.stdout), 'the pairs are the command line\'s output')
  })
}

t.test('a few records make several map tasks, at the smallest budget', async t => {
  const wordcount = root + 'examples/wordcount.js'
  const two = await runJob(wordcount, ['a b', 'b'])
  t.same(two.pairs, [['a', 1], ['b', 2]])
  t.ok(two.counters.spills >= 2, `a spill for each of at least 2 map tasks (${two.counters.spills})`)
  const many = await runJob(wordcount, Array.from({ length: 5000 }, (_, i) => `w${i % 997} w${i % 13}`))
  t.ok(many.counters.spills > 2, `more spills than tasks at 32KB (${many.counters.spills})`)
  t.equal(many.pairs.length, 997, 'every word once')
  t.same((await runJob(wordcount, [])).pairs, [], 'no records, no pairs')
})

t.test('records of any kind, in order, and user counters', async t => {
  const place = new URL('../fixtures/jobs/place.mjs', import.meta.url)
  const records = [{ a: 1 }, 'x', [1, -0], null, 'two\nlines', 'cr\r', new Map([[1, 2]])]
  const { pairs } = await runJob(place, records)
  t.same(pairs, records.map((r, i) => [`-:${i + 1}`, [r]]), 'each record as it was given, ctx.file "-" and ctx.line its number')
  t.ok(Object.is((pairs[2]![1] as unknown[][])[0]![1], -0), '-0 kept')
  const { kinds } = await import(new URL('../fixtures/api/jobs.mjs', import.meta.url).href) as { kinds: object }
  const r = await runJob(kinds, [{ kind: 'a' }, {}, { kind: 'b' }, { kind: 'a' }, {}])
  t.same(r.pairs, [[null, 2], ['a', 2], ['b', 1]])
  t.same(r.user, { 'no kind': 2 })
  await t.rejects(runJob(place, [() => 1]), { code: 'MRS_ERR_VALUE', message: /record 1 cannot be carried/ }, 'a function is no record')
  await t.rejects(runJob(place, ['ok', 'lone \ud800']), { code: 'MRS_ERR_VALUE', message: /record 2/ }, 'nor a lone surrogate')
})

t.test('runJob() stops on its signal', async t => {
  const wordcount = root + 'examples/wordcount.js'
  await t.rejects(runJob(wordcount, ['a b'], { signal: AbortSignal.abort() }), { code: 'MRS_ERR_ABORTED' }, 'aborted before it starts')
  const stop = new AbortController()
  const running = runJob(wordcount, Array.from({ length: 20_000 }, (_, i) => `w${i % 997} w${i % 13}`), { signal: stop.signal })
  setImmediate(() => stop.abort())
  await t.rejects(running, { code: 'MRS_ERR_ABORTED' }, 'aborted while it runs')
})
