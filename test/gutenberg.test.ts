// Word count over a real corpus (eight Project Gutenberg books, 3.2 MB), checked against an
// independent count by coreutils: tr | LC_ALL=C sort | uniq -c. The key order of `LC_ALL=C sort`
// is the string order of docs/semantics.md. The oracle is checked against the same count.
import t from 'tap'
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { formatPairs, loadJob, oracle, readInputs } from './oracle.js'
import { check, firstDifference, prepare, runCase, Scratch, type PreparedCase, expectOk } from './helpers/case.js'
import { type JobSource } from './helpers/jobs.js'
import { runCli, runShell } from './helpers/run.js'
import { sample } from './helpers/depth.js'

t.setTimeout(600_000)

const corpusDir = fileURLToPath(new URL('./fixtures/gutenberg/', import.meta.url))
const corpus = readdirSync(corpusDir).filter(f => f.endsWith('.txt')).sort().map(f => join(corpusDir, f))

const wordcount = (combine: boolean): JobSource => ({
  name: combine ? 'wordcount-combine' : 'wordcount',
  ext: 'mjs',
  source: `export function map (line, emit) {
  for (const w of line.split(/\\s+/)) if (w) emit(w, 1)
}
export function reduce (word, counts) {
  let n = 0
  for (const c of counts) n += c
  return n
}
${combine ? 'export const combine = reduce' : ''}
`,
})

const quote = (s: string): string => `'${s.replace(/'/g, "'\\''")}'`

/** word<TAB>count lines from coreutils, in the engine's TSV form. */
async function coreutilsCount (files: string[]): Promise<Buffer> {
  // `echo` after each file: a file without a final newline must not glue its last word to the next file's first.
  const script = `export LC_ALL=C; for f in ${files.map(quote).join(' ')}; do cat "$f"; echo; done` +
    ' | tr -s \' \\t\\r\\n\\f\\v\' \'\\n\' | grep -v \'^$\' | sort | uniq -c | awk \'{print $2"\\t"$1}\''
  const r = await runShell(script)
  if (r.code !== 0) throw new Error(`coreutils count failed (${r.code}): ${r.stderr}`)
  const pairs = r.stdout.toString('utf8').split('\n').filter(Boolean).map(l => {
    const [w, n] = l.split('\t')
    return [w, Number(n)] as [unknown, unknown]
  })
  return formatPairs(pairs) // escapes a `\` in a word as the engine's TSV does
}

t.test('gutenberg word count', async t => {
  t.ok(corpus.length >= 2, `corpus of ${corpus.length} files`)
  const scratch = new Scratch()
  t.teardown(() => scratch.remove())

  const want = await coreutilsCount(corpus)
  const words = want.toString().split('\n').length - 1
  t.ok(words > 10_000, `${words} distinct words by coreutils`)

  const inputs = readInputs(corpus)
  const jobs: Record<string, PreparedCase> = {}
  for (const combine of [false, true]) {
    const pc = prepare(join(scratch.dir, String(combine)), wordcount(combine), { files: [] })
    pc.inputArgs.push(...corpus)
    pc.inputs.push(...inputs)
    jobs[String(combine)] = pc
  }
  const fromOracle = await oracle(await loadJob(jobs.false!.jobPath), inputs)
  t.ok(fromOracle.equals(want), `the oracle equals coreutils${fromOracle.equals(want) ? '' : ': ' + firstDifference(fromOracle, want)}`)

  await t.test('the binary, default settings', async t => {
    const pc = jobs.false!
    const r = await runCli(['--job', pc.jobPath, '-q', ...corpus])
    t.equal(r.code, 0, `exit 0${r.code ? ': ' + r.stderr.slice(0, 2000) : ''}`)
    t.ok(r.stdout.equals(want), `equals coreutils${r.stdout.equals(want) ? '' : ': ' + firstDifference(r.stdout, want)}`)
  })

  for (const [combine, memory, workers] of sample([[true, '64KB', 3], [false, '64KB', 2]] as const, 1)) {
    await t.test(`--memory ${memory} --workers ${workers}${combine ? ', with combine' : ''}`, async t => {
      const o = await runCase(jobs[String(combine)]!, { memory, workers })
      expectOk(t, () => check(o, want, 'gutenberg word count'), 'equals coreutils; temp dir emptied')
    })
  }
})
