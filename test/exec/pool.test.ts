// The worker pool (pool.ts): a run that cannot start its workers ends, with an error, rather
// than wait forever; and --task-timeout ends only tasks that stopped making progress, not ones
// slow on every record or value (heartbeat.ts: the workers count them where the pool reads).
import t, { type Test } from 'tap'
import { spawn } from '../helpers/children.js'
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { root, shell, spawnCli, type Result } from '../helpers/cli.js'

const engine = fileURLToPath(new URL('../../dist/lib/exec/engine.js', import.meta.url))

/** Runs `node script` in dir; killed after `limitMs`, then `hung` is true (a run that ends takes ~1 s). */
function runScript (dir: string, script: string, limitMs: number): Promise<{ code: number | null, stdout: string, stderr: string, hung: boolean }> {
  writeFileSync(join(dir, 'run.mjs'), script)
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['run.mjs'], { cwd: dir, stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, NODE_OPTIONS: '' } })
    let hung = false
    const timer = setTimeout(() => { hung = true; child.kill('SIGKILL') }, limitMs)
    const out: Buffer[] = []
    const err: Buffer[] = []
    child.stdout.on('data', (b: Buffer) => out.push(b))
    child.stderr.on('data', (b: Buffer) => err.push(b))
    child.on('error', reject)
    child.on('close', code => {
      clearTimeout(timer)
      resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), hung })
    })
    child.stdin.end('a\nb\n')
  })
}

/** A script that runs the Engine with `job` over `input`, and prints how run() ended. */
function engineScript (job: string, input: string): string {
  return `import { Engine } from ${JSON.stringify(engine)}
const engine = new Engine({ job: ${job}, inputs: [${JSON.stringify(input)}], format: 'lines', outputFormat: 'tsv', output: undefined, reducers: undefined, memory: 64 << 20, workers: 2, tmpDir: undefined, maxBadRecords: 0, maxLineBytes: 1 << 20, taskTimeoutMs: 0, fanIn: 16, heapMb: undefined, stdin: process.stdin, stdout: process.stdout })
try {
  await engine.run()
  console.log('resolved')
} catch (e) {
  console.log('rejected', e.code, e.message)
}
`
}

t.test('a run whose workers cannot start rejects, and ends: nothing is left waiting', async t => {
  const dir = t.testdir({
    'in.txt': 'a\nb\n',
    'no-worker.mjs': `import { isMainThread } from 'node:worker_threads'
if (!isMainThread) throw new Error('not in a worker')
export function map (l, emit) { emit(l, 1) }
export function reduce (k, vs) { let n = 0; for (const _ of vs) n++; return n }
`,
  })
  const jobs: Array<[string, RegExp]> = [
    // functions cannot be sent to a worker thread
    ['{ map: (l, emit) => emit(l, 1), reduce: (k, vs) => 1 }', /rejected MRS_ERR_JOB_LOAD a worker failed to start: DataCloneError.*source text/],
    // the job loads on the main thread, not in a worker
    [`{ file: ${JSON.stringify(join(dir, 'no-worker.mjs'))} }`, /rejected MRS_ERR_JOB_LOAD .*not in a worker/],
  ]
  for (const [job, says] of jobs) {
    for (const input of ['in.txt', '-']) {
      const r = await runScript(dir, engineScript(job, input), 120_000)
      t.notOk(r.hung, `${job} (${input}): the process ends`)
      t.match(r.stdout, says, `${job} (${input}): run() rejects, naming the cause`)
    }
  }
})

t.test('a worker that never finishes loading the job fails the run after --task-timeout', async t => {
  // (a job module waiting forever as it loads: the main thread loads it, a worker never does)
  const dir = t.testdir({
    'in.txt': 'a\nb\n',
    'stuck.mjs': `import { isMainThread } from 'node:worker_threads'
if (!isMainThread) await new Promise(resolve => setTimeout(resolve, 1e9))
export function map (l, emit) { emit(l, 1) }
export function reduce (k, vs) { let n = 0; for (const _ of vs) n++; return n }
`,
  })
  const r = await mrs(t, dir, ['--job', 'stuck.mjs', '--task-timeout', '1', '-o', 'out.txt', 'in.txt'])
  t.equal(r.code, 2, 'exit 2')
  t.equal(r.stderr, 'mrstream: a worker failed to start: it did not load the job within 1 s (--task-timeout)\n')
  t.same(readdirSync(dir).filter(f => f.startsWith('out')), [], 'no output')
})

t.test('a current directory that no longer exists: exit 2, saying so, for a job file (TypeScript too) and an inline job', async t => {
  // Node reads the current directory as a module loads; tsx's loader thread died of it, and
  // the import waited forever
  const dir = t.testdir({ 'in.txt': 'a\nb\na\n' })
  const runs: Array<[string, string, RegExp]> = [
    ['a TypeScript job', `--job '${join(root, 'test', 'fixtures', 'jobs', 'wordcount.ts')}'`, /^mrstream: cannot load job \S+wordcount\.ts: the current directory no longer exists \(ENOENT[^)]*uv_cwd\); cd to one that does\n$/],
    ['an inline job', "-m '(l, emit) => emit(l, 1)' -r count", /^mrstream: a worker failed to start: the current directory no longer exists \(ENOENT[^)]*uv_cwd\); cd to one that does\n$/],
  ]
  for (const [what, job, says] of runs) {
    const r = await shell(`mkdir gone && cd gone && rmdir ../gone && mrs ${job} --workers 1 -q '${join(dir, 'in.txt')}'`, dir)
    t.equal(r.code, 2, `${what}: exit 2`)
    t.match(r.stderr, says, `${what}: says why`)
    t.equal(r.stdout, '', `${what}: no output`)
  }
})

async function mrs (t: Test, dir: string, args: string[]): Promise<Result> {
  const tmp = mkdtempSync(join(dir, 'tmp-'))
  const r = await spawnCli([...args, '--tmp-dir', tmp], dir)
  t.same(readdirSync(tmp), [], '--tmp-dir is empty after')
  return r
}

t.test('--task-timeout: a map or reduce slow on every record or value is making progress', async t => {
  // 2000 lines of 100 bytes: one 256 KB chunk, a task of 2 s at 1 ms a record, twice the timeout
  // (a pause of 1 ms, asleep: slow is slow whether or not it spends the CPU)
  const lines = Array.from({ length: 2000 }, (_, i) => String(i).padStart(99, 'x')).join('\n') + '\n'
  const dir = t.testdir({ 'in.txt': lines })
  const spin = 'Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);'
  const slowMap = await mrs(t, dir, ['-m', `(l, emit) => { ${spin} emit(l.length, 1) }`, '-r', 'count', '--task-timeout', '1', '--workers', '1', '-q', 'in.txt'])
  t.equal(slowMap.code, 0, `a map of 1 ms a record: ${slowMap.stderr}`)
  t.equal(slowMap.stdout, '99\t2000\n')
  // one key with 2000 values: its reduce takes 2 s
  const slowReduce = await mrs(t, dir, ['-m', '(l, emit) => emit("k", 1)', '-r', `(k, vs) => { let n = 0; for (const v of vs) { ${spin} n += v } return n }`, '--task-timeout', '1', '--workers', '1', '-q', 'in.txt'])
  t.equal(slowReduce.code, 0, `a reduce of 1 ms a value: ${slowReduce.stderr}`)
  t.equal(slowReduce.stdout, 'k\t2000\n')
  // while a map stuck on one record (asleep for good, after records that made progress) still
  // times out; a map stuck on the CPU is retry.test.ts's hang.mjs
  const stuck = await mrs(t, dir, ['-m', '(l, emit) => { if (l.endsWith("x5")) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0); emit(l.length, 1) }', '-r', 'count', '--task-timeout', '1', '--workers', '1', '-q', 'in.txt'])
  t.equal(stuck.code, 1, 'a map stuck on a record fails')
  t.match(stuck.stderr, /failed 3 times; last cause: no progress for 1 s \(--task-timeout\)/)
})
