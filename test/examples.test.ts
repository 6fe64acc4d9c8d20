// Every bundled example (examples/) against its expected output, made from examples/data by
// coreutils, awk and jq (test/fixtures/examples/make.sh), not by mrstream: under the default
// budget and under one small enough to spill and merge, with 1 and 2 workers.
import t, { type Test } from 'tap'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { bin, spawnCli, type Result } from './helpers/cli.js'
import { runShell } from './helpers/run.js'
import { depth } from './helpers/depth.js'

t.setTimeout(600_000)

const root = fileURLToPath(new URL('..', import.meta.url))
const fixture = (name: string): string => readFileSync(join(root, 'test', 'fixtures', 'examples', `${name}.out`), 'utf8')
const books = ['examples/data/pg-being_ernest.txt', 'examples/data/pg-metamorphosis.txt']

/** Runs mrstream in the repository with a fresh --tmp-dir, and checks the temp dir is left empty. */
async function mrs (t: Test, args: string[]): Promise<Result> {
  const tmp = mkdtempSync(join(tmpdir(), 'mrstream-examples-'))
  const r = await spawnCli([...args, '--tmp-dir', tmp], root)
  t.same(readdirSync(tmp), [], `--tmp-dir is empty after: mrstream ${args.join(' ')}`)
  rmSync(tmp, { recursive: true, force: true })
  return r
}

const examples: Array<{ name: string, what: string, args: string[] }> = [
  { name: 'wordcount', what: 'word count', args: ['--job', 'examples/wordcount.js', ...books] },
  { name: 'index', what: 'inverted index (ctx.file)', args: ['--job', 'examples/index.js', ...books] },
  { name: 'top-words', what: 'top-N (a chain, top\'s combiner)', args: ['--job', 'examples/top-words.js', ...books] },
  { name: 'join', what: 'a reduce-side join of a CSV and an NDJSON input', args: ['--job', 'examples/join.js', 'examples/data/users.csv', 'examples/data/orders.ndjson'] },
  { name: 'sessions', what: 'sessions from events (groupBy)', args: ['--job', 'examples/sessions.js', 'examples/data/events.ndjson'] },
  { name: 'lengths', what: 'a TypeScript job', args: ['--job', 'examples/lengths.ts', ...books] },
  { name: 'paths', what: 'requests and bytes per path', args: ['--job', 'examples/paths.js', 'examples/data/access.log'] },
  { name: 'histogram', what: 'a chain of two steps', args: ['--job', 'examples/histogram.js', ...books] },
]

const SETTINGS = [[], ['--memory', '64KB', '--workers', '2'], ['--memory', '64KB', '--workers', '1']]

for (const [i, ex] of examples.entries()) {
  t.test(`${ex.name}: ${ex.what}`, async t => {
    const want = fixture(ex.name)
    t.ok(want.split('\n').length > 5, 'a fixture of some size')
    // the quick depth: each example under one of the settings, in turn, so that each is used
    for (const settings of depth([SETTINGS[i % SETTINGS.length]!], SETTINGS)) {
      const r = await mrs(t, [...ex.args, '-q', ...settings])
      t.equal(r.code, 0, r.stderr)
      t.equal(r.stdout, want, `mrstream ${[...ex.args, ...settings].join(' ')}`)
    }
  })
}

t.test('join: the same lines whatever the order of the inputs (the user row sorts before its orders)', async t => {
  const r = await mrs(t, ['--job', 'examples/join.js', '-q', 'examples/data/orders.ndjson', 'examples/data/users.csv'])
  t.equal(r.code, 0, r.stderr)
  t.equal(r.stdout, fixture('join'))
})

t.test('top-words: the one key of step 2 reads a few values a run, not one a word', async t => {
  const dir = mkdtempSync(join(tmpdir(), 'mrstream-examples-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const job = join(dir, 'counted.mjs')
  // the example's steps, with step 2's reduce counting the values it reads
  writeFileSync(job, `import { steps as example } from ${JSON.stringify(join(root, 'examples', 'top-words.js'))}
const [count, ranking] = example
export const steps = [count, { ...ranking, reduce (key, values, emit, ctx) {
  const seen = function * () { for (const v of values) { ctx.count('values at the top reduce'); yield v } }
  return ranking.reduce(key, seen(), emit, ctx)
} }]
`)
  const r = await mrs(t, ['--job', job, '--stats', join(dir, 'stats.json'), '-q', '--memory', '64KB', '--workers', '2', ...books])
  t.equal(r.code, 0, r.stderr)
  t.equal(r.stdout, fixture('top-words'))
  const stats = JSON.parse(readFileSync(join(dir, 'stats.json'), 'utf8')) as { user: Record<string, number> }
  const words = fixture('index').split('\n').length - 1
  const read = stats.user['values at the top reduce']!
  t.ok(read >= 10 && read <= 200 && words > 4000, `the top reduce read ${read} values for ${words} words (at most 10 a run)`)
})

t.test('sessions under the Hadoop Streaming commands: map | sort on two fields | reduce', async t => {
  const mrsh = `env -u NODE_OPTIONS "${process.execPath}" "${bin}"`
  const r = await runShell(`${mrsh} map --job examples/sessions.js -q < examples/data/events.ndjson --format ndjson | LC_ALL=C sort -t "$(printf '\\t')" -k1,2 | ${mrsh} reduce --job examples/sessions.js -q`)
  t.equal(r.code, 0, r.stderr)
  t.equal(r.stdout.toString(), fixture('sessions'), 'the lines of a local run, in its order too (the groups\' JSON text sorts as they do)')
})

t.test('paths.test.js: unit-testing a job with runJob() under node:test', async t => {
  const r = await runShell(`env -u NODE_OPTIONS "${process.execPath}" --test --test-reporter=tap examples/paths.test.js`)
  t.equal(r.code, 0, 'node --test exits 0', { stdout: r.stdout.toString(), stderr: r.stderr })
  t.match(r.stdout.toString(), /^# pass 4$/m, 'its four tests ran and passed')
  t.match(r.stdout.toString(), /^# fail 0$/m)
})

t.test('library.mjs: a job defined in its own module, run four ways', async t => {
  const r = await runShell(`env -u NODE_OPTIONS "${process.execPath}" examples/library.mjs`)
  t.equal(r.code, 0, r.stderr)
  // what it prints, made from the same books by coreutils: words are runs of [a-z0-9_], lowercased
  const words = (book: string): string => `LC_ALL=C tr 'A-Z' 'a-z' < ${book} | LC_ALL=C tr -cs 'a-z0-9_' '\\n' | grep -v '^$'`
  const top = (await runShell(`${words(books[1]!)} | LC_ALL=C sort | uniq -c | sort -k1,1nr | head -1`)).stdout.toString().trim().split(/\s+/)
  const lines = (await runShell(`wc -l < ${books[1]!}`)).stdout.toString().trim()
  const distinct = (await runShell(`${words(books[0]!)} | LC_ALL=C sort -u | wc -l`)).stdout.toString().trim()
  t.equal(r.stdout.toString(), [
    "[ [ 'cat', 1 ], [ 'hat', 1 ], [ 'the', 2 ] ]",
    `most frequent: [ '${top[1]!}', ${top[0]!} ] records: ${lines}`,
    `distinct words: ${distinct}`,
    'be\t2', 'not\t1', 'or\t1', 'to\t2', '',
  ].join('\n'))
})
