// `mrstream hadoop`: what it checks before submitting, the commands it runs (one streaming job a
// step, then the chain's intermediate directories removed) and prints with --dry-run (the same
// commands, to paste, as docs/hadoop.md shows them), the cluster's exit status as its own. Hadoop here is a pair of fake
// `mapred` and `hadoop` commands that record their arguments; the recorded jobs then run under
// the simulator and give the local run's output.
import t from 'tap'
import { spawn } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { cliArgv } from '../helpers/cli.js'
import { countersOf, fakeHadoop, runJobs, runLocal, scratchDir, sortedLines, taskEnv } from '../helpers/hadoop.js'

/** `mrstream hadoop ...args` in dir, with PATH (and HADOOP_HOME) as given. */
function mrsHadoop (args: string[], dir: string, env: Record<string, string>): Promise<{ code: number | null, stdout: string, stderr: string }> {
  return new Promise((resolve, reject) => {
    const [cmd, argv] = cliArgv(['hadoop', ...args])
    const child = spawn(cmd, argv, { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (b: Buffer) => { stdout += b.toString() })
    child.stderr.on('data', (b: Buffer) => { stderr += b.toString() })
    child.on('error', reject)
    child.on('close', code => resolve({ code, stdout, stderr }))
  })
}

/** Runs a shell script (the printed commands) in dir. */
function bash (script: string, dir: string, env: Record<string, string>): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', script], { cwd: dir, env, stdio: 'ignore' })
    child.on('error', reject)
    child.on('close', resolve)
  })
}

const chain = `
// words (map-only), counted (a combiner), the words seen more than once (map-only)
const words = { map (line, emit) { for (const w of line.split(/\\s+/)) if (w) emit(w.toLowerCase(), w) } }
const count = {
  map ([word], emit) { emit(word, 1) },
  reduce (word, ones) { let n = 0; for (const x of ones) n += x; return n },
  combine (word, ones) { let n = 0; for (const x of ones) n += x; return n },
}
const often = { map ([word, n], emit, ctx) { if (n > 1) { ctx.count('often'); emit(n, word) } } }
export const steps = [words, count, often]
`

t.test('a chain: the commands run, the ones --dry-run prints, and under the simulator the local output', async t => {
  const dir = scratchDir(t)
  writeFileSync(join(dir, 'chain.mjs'), chain)
  mkdirSync(join(dir, 'in'))
  writeFileSync(join(dir, 'in', 'a.txt'), Array.from({ length: 200 }, (_, i) => `The w${i % 9} x${i % 4} ${'A'.repeat(i % 3)}`).join('\n') + '\n')
  writeFileSync(join(dir, 'in', 'b.txt'), 'the end\r\nof it\n')
  const fake = fakeHadoop(dir)
  const env = { PATH: `${fake.path}:${taskEnv(dir).PATH}`, HOME: dir }
  const args = ['--job', 'chain.mjs', '--input', 'in', '--output', 'out', '--reducers', '2', '-D', 'mapreduce.job.maps=3']
  const ran = await mrsHadoop(args, dir, env)
  t.equal(ran.code, 0, ran.stderr)
  t.match(ran.stderr, /^mrstream: bundled chain\.mjs with mrstream into chain\.bundle\.mjs \(\d+ KB\): task nodes need only node$/m)
  t.match(ran.stderr, /^mrstream: step 2 of 3: mapred streaming \.\.\. -output out\.step-2$/m)
  const calls = fake.calls()
  t.strictSame(calls.map(c => c.slice(0, 2)), [['mapred', 'streaming'], ['mapred', 'streaming'], ['mapred', 'streaming'], ['hadoop', 'fs']], 'a streaming job a step, then the intermediate output removed')
  t.strictSame(calls[3], ['hadoop', 'fs', '-rm', '-r', '-f', 'out.step-1', 'out.step-2'])
  t.strictSame(calls[0]!.slice(2), [
    '-D', 'mapreduce.job.name=mrstream chain.mjs (step 1 of 3)', '-D', 'mapreduce.job.maps=3',
    '-files', 'chain.bundle.mjs', '-input', 'in', '-output', 'out.step-1',
    '-mapper', 'node chain.bundle.mjs map --step 1', '-numReduceTasks', '0',
  ], 'step 1: map-only')
  t.strictSame(calls[1]!.slice(2), [
    '-D', 'mapreduce.job.name=mrstream chain.mjs (step 2 of 3)', '-D', 'mapreduce.job.maps=3',
    '-files', 'chain.bundle.mjs', '-input', 'out.step-1', '-output', 'out.step-2',
    '-mapper', 'node chain.bundle.mjs map --step 2', '-combiner', 'node chain.bundle.mjs combine --step 2',
    '-reducer', 'node chain.bundle.mjs reduce --step 2', '-numReduceTasks', '2',
  ], 'step 2: the step before\'s output, a combiner, 2 reducers')
  t.equal(calls[2]![calls[2]!.indexOf('-output') + 1], 'out', 'the last step writes --output')

  // what --dry-run prints is what ran, pasted into a shell
  const dry = await mrsHadoop([...args, '--dry-run'], dir, env)
  t.equal(dry.code, 0, dry.stderr)
  t.match(dry.stdout, /^mapred streaming \\\n {2}-D 'mapreduce\.job\.name=mrstream chain\.mjs \(step 1 of 3\)' \\\n/)
  t.equal(fake.calls().length, 4, '--dry-run runs nothing')
  t.equal(await bash(dry.stdout, dir, env), 0)
  t.strictSame(fake.calls().slice(4), calls, 'the printed commands are the ones run')

  // the jobs on "Hadoop": the local output, the local counters
  const streaming = calls.filter(c => c[0] === 'mapred').map(c => c.slice(2))
  const sim = await runJobs(streaming, { cwd: dir, env: taskEnv(dir), valueOrder: 'any', seed: 5 })
  const local = await runLocal(join(dir, 'chain.mjs'), [join(dir, 'in', 'a.txt'), join(dir, 'in', 'b.txt')], dir)
  t.strictSame(sortedLines(sim.output), sortedLines(local.output), 'the local output\'s lines')
  const c = countersOf(sim, local)
  t.strictSame(c.hadoop, c.local, 'counters, summed over the steps')
})

t.test('the cluster\'s exit status is the command\'s; a failed step stops the chain', async t => {
  const dir = scratchDir(t)
  writeFileSync(join(dir, 'chain.mjs'), chain)
  const fake = fakeHadoop(dir)
  fake.failWith(3)
  const env = { PATH: `${fake.path}:${taskEnv(dir).PATH}`, HOME: dir }
  const r = await mrsHadoop(['--job', 'chain.mjs', '--input', 'in', '--output', 'out', '-q'], dir, env)
  t.equal(r.code, 3)
  t.equal(fake.calls().length, 1, 'no second step, no clean-up')
  t.equal(r.stderr, '', '-q')
})

t.test('where Hadoop is found, and the commands for the job\'s options', async t => {
  const dir = scratchDir(t)
  writeFileSync(join(dir, 'count.mjs'), 'export const map = (line, emit) => emit(line, 1)\nexport const reduce = (k, vs) => { let n = 0; for (const v of vs) n += v; return n }\n')
  const home = join(dir, 'hadoop-3.4.1')
  mkdirSync(join(home, 'bin'), { recursive: true })
  mkdirSync(join(home, 'share', 'hadoop', 'tools', 'lib'), { recursive: true })
  writeFileSync(join(home, 'share', 'hadoop', 'tools', 'lib', 'hadoop-streaming-3.4.1.jar'), '')
  writeFileSync(join(home, 'bin', 'hadoop'), '#!/bin/sh\nexit 0\n')
  chmodSync(join(home, 'bin', 'hadoop'), 0o755)
  const bare = { PATH: taskEnv(dir).PATH, HOME: dir }
  const fromHome = await mrsHadoop(['--job', 'count.mjs', '--input', 'logs/*.csv', '--output', 'gs://b/out/', '--output-format', 'ndjson', '--no-bundle', '--max-bad-records', '2', '-D', 'mapreduce.job.name=counts', '--dry-run'], dir, { ...bare, HADOOP_HOME: home })
  t.equal(fromHome.code, 0, fromHome.stderr)
  t.equal(fromHome.stdout, [
    `${home}/bin/hadoop jar ${home}/share/hadoop/tools/lib/hadoop-streaming-3.4.1.jar \\`,
    `  -D mapreduce.input.fileinputformat.split.minsize=${2n ** 63n - 1n} \\`,
    '  -D mapreduce.output.textoutputformat.separator= \\',
    '  -D mapreduce.job.name=counts \\',
    '  -files count.mjs \\',
    '  -input \'logs/*.csv\' \\',
    '  -output gs://b/out \\',
    '  -mapper \'mrstream map --job count.mjs --max-bad-records 2\' \\',
    '  -reducer \'mrstream reduce --job count.mjs --output-format ndjson --max-bad-records 2\'',
    '',
  ].join('\n'), '$HADOOP_HOME\'s jar; whole files for csv; no tab after ndjson lines; the user\'s job name; the job file shipped as it is (--no-bundle)')
  t.equal(existsSync(join(dir, 'count.bundle.mjs')), false, 'no bundle with --no-bundle')
  const jar = await mrsHadoop(['--job', 'count.mjs', '--input', 'in', '--output', 'out', '--streaming-jar', '/opt/streaming.jar', '--dry-run', '--node', '/opt/node20/bin/node', '--bundle', 'b.mjs', '-q'], dir, bare)
  t.equal(jar.code, 0, jar.stderr)
  t.match(jar.stdout, /^hadoop jar \/opt\/streaming\.jar \\\n/, '--streaming-jar')
  t.match(jar.stdout, /-mapper '\/opt\/node20\/bin\/node b\.mjs map'/, '--node and --bundle')
  t.equal(existsSync(join(dir, 'b.mjs')), true, '--dry-run wrote the bundle the commands ship')
  writeFileSync(join(dir, 'sessions.mjs'), 'export const groupBy = 1\nexport const map = (line, emit) => emit(line.split(" "), 1)\nexport const combine = (k, vs) => 1\nexport const reduce = (user, vs) => [...vs].length\n')
  const grouped = await mrsHadoop(['--job', 'sessions.mjs', '--input', 'in', '--output', 'out', '--dry-run', '-q'], dir, bare)
  t.equal(grouped.code, 0, grouped.stderr)
  t.match(grouped.stdout, /-D stream\.num\.map\.output\.key\.fields=2 \\\n {2}-D mapreduce\.partition\.keypartitioner\.options=-k1,1 \\\n {2}-D stream\.num\.reduce\.output\.key\.fields=2 \\\n {2}-D mapreduce\.output\.textoutputformat\.separator= \\\n/, 'groupBy: two key fields, a partitioner on the first; a combiner\'s too')
  t.match(grouped.stdout, / {2}-partitioner org\.apache\.hadoop\.mapred\.lib\.KeyFieldBasedPartitioner\n$/)
  const none = await mrsHadoop(['--job', 'count.mjs', '--input', 'in', '--output', 'out'], dir, bare)
  t.equal(none.code, 2)
  t.match(none.stderr, /no Hadoop here: neither `mapred` on PATH/)
  const cases: Array<[string, string[], RegExp]> = [
    ['no --input', ['--job', 'count.mjs', '--output', 'out'], /needs --input PATH/],
    ['no --output', ['--job', 'count.mjs', '--input', 'in'], /needs --output DIR/],
    ['no --job', ['--input', 'in', '--output', 'out'], /needs --job FILE/],
    ['a positional input', ['--job', 'count.mjs', 'in', '--output', 'out'], /inputs are given with --input PATH/],
    ['-D without =', ['--job', 'count.mjs', '--input', 'in', '--output', 'out', '-D', 'foo'], /-D foo: give KEY=VALUE/],
    ['a missing jar', ['--job', 'count.mjs', '--input', 'in', '--output', 'out', '--streaming-jar', 'nope.jar'], /--streaming-jar nope\.jar: no such file/],
    ['a broken job', ['--job', 'nope.mjs', '--input', 'in', '--output', 'out', '--dry-run'], /job file not found: nope\.mjs/],
    ['a map-only job with --reducers', ['-q', '--job', 'filter.mjs', '--input', 'in', '--output', 'out', '--reducers', '2', '--dry-run'], /--reducers 2: the job is map-only/],
  ]
  writeFileSync(join(dir, 'filter.mjs'), 'export const map = (line, emit) => { if (line) emit(line, 1) }\n')
  for (const [name, args, message] of cases) {
    const r = await mrsHadoop(args, dir, bare)
    t.equal(r.code, 2, `${name}: exit 2`)
    t.match(r.stderr, message, name)
  }
})

t.test('docs/hadoop.md shows what --dry-run prints, exactly', async t => {
  const dir = scratchDir(t)
  const root = new URL('../../', import.meta.url).pathname
  symlinkSync(join(root, 'examples'), join(dir, 'examples'))
  const doc = readFileSync(join(root, 'docs', 'hadoop.md'), 'utf8')
  const env = { PATH: taskEnv(dir).PATH, HOME: dir }
  const runs = [
    ['--job', 'examples/wordcount.js', '--input', '/data/books', '--output', '/results/counts', '--reducers', '4'],
    ['--job', 'examples/histogram.js', '--input', '/data/books', '--output', '/results/histogram'],
    ['--job', 'examples/paths.js', '--input', 's3://my-bucket/logs/', '--output', 's3://my-bucket/paths', '--reducers', '8', '--node', '/usr/local/bin/node'],
  ]
  for (const args of runs) {
    const r = await mrsHadoop([...args, '--dry-run', '-q'], dir, env)
    t.equal(r.code, 0, r.stderr)
    t.ok(doc.includes('```text\n' + r.stdout + '```'), `docs/hadoop.md shows the output of mrstream hadoop ${args.join(' ')} --dry-run`)
    t.ok(doc.includes(`mrstream hadoop ${args.join(' ')} --dry-run`), 'and the command')
  }
})
