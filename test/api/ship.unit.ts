// How jobs reach the worker threads: by path, by URL, as a module namespace, made with
// defineJob() in the module that runs them; and the jobs that cannot, refused at once, named.
import t from 'tap'
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { cleanEnv } from '../helpers/run.js'
import { defineJob, run, runJob, mapReduce } from 'mrstream'

t.setTimeout(300_000)

const fixture = (name: string): string => fileURLToPath(new URL(`../fixtures/api/${name}`, import.meta.url))
const example = new URL('../../examples/wordcount.js', import.meta.url)
const wordcount = await import(example.href) as object // a module namespace
const want = [['a', 1], ['b', 2]]

/** Runs a fixture script in a process of its own (without tap's hooks): its last line as JSON. */
async function script (name: string): Promise<{ exit: number | null, out: unknown, stderr: string }> {
  const child = spawn('env', ['-u', 'NODE_OPTIONS', process.execPath, fixture(name)], { env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  child.stdout.on('data', (b: Buffer) => { out += b.toString() })
  child.stderr.on('data', (b: Buffer) => { err += b.toString() })
  const killer = setTimeout(() => child.kill('SIGKILL'), 120_000)
  const exit = await new Promise<number | null>(resolve => child.on('close', code => resolve(code)))
  clearTimeout(killer)
  let parsed: unknown
  try { parsed = JSON.parse(out.trim().split('\n').pop()!) } catch { parsed = out }
  return { exit, out: parsed, stderr: err }
}

t.test('a job by path, by file: URL (string or URL) and as a module namespace', async t => {
  const path = fileURLToPath(example)
  for (const job of [path, example, example.href, wordcount]) {
    t.same((await runJob(job, ['a b', 'b'])).pairs, want, typeof job === 'string' ? job : job instanceof URL ? 'a URL' : 'a namespace')
  }
})

t.test('a job made with defineJob() in the module that runs it', async t => {
  const r = await script('own-module.mjs')
  t.equal(r.exit, 0, r.stderr)
  t.same(r.out, { runJob: want, run: [[1, ['c']], [2, ['ab', 'de']]], mapReduce: [['x', 1], ['y', 2]] }, 'each job ran once, in the main thread, exported or not')
})

t.test('a module that runs its own namespace', async t => {
  const r = await script('runs-own-namespace.mjs')
  t.equal(r.exit, 0, r.stderr)
  t.same(r.out, [['x', 1], ['y', 2]])
})

t.test('a module that runs itself by its URL while it loads is refused at once', async t => {
  const r = await script('runs-itself.mjs')
  t.equal(r.exit, 0, r.stderr)
  t.match(r.out, { code: 'MRS_ERR_JOB_UNSHIPPABLE', message: /pass its namespace/ })
})

t.test('jobs that cannot be shipped, and things that are not jobs', async t => {
  t.throws(() => run({ map () {}, reduce () {} }, { input: [] }), { code: 'MRS_ERR_JOB_UNSHIPPABLE', message: /defineJob\(\)/ }, 'a plain object')
  t.throws(() => mapReduce({ map: (l: string, emit: (k: string, v: number) => void) => emit(l, 1), reduce: () => 1 }), { code: 'MRS_ERR_JOB_UNSHIPPABLE' }, 'a plain object, to mapReduce')
  t.throws(() => mapReduce(42 as unknown as string), { code: 'MRS_ERR_JOB_SHAPE' }, 'a number')
  t.throws(() => mapReduce({} as unknown as string), { code: 'MRS_ERR_JOB_SHAPE' }, 'an object without map')
  t.throws(() => mapReduce('no/such/job.js'), { code: 'MRS_ERR_JOB_LOAD' }, 'a missing file')
  t.throws(() => mapReduce('https://example.com/job.js'), { code: 'MRS_ERR_JOB_LOAD', message: /file: URLs/ }, 'another URL scheme')
})

t.test('a job made with defineJob() in code that has no module file (node -e)', async t => {
  const code = `import('mrstream').then(({ defineJob, mapReduce }) => {
    try { mapReduce(defineJob({ map (l, emit) { emit(l, 1) }, reduce () { return 1 } })) } catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message })) }
  })`
  const child = spawn('env', ['-u', 'NODE_OPTIONS', process.execPath, '-e', code], { env: cleanEnv(), cwd: fileURLToPath(new URL('../../', import.meta.url)), stdio: ['ignore', 'pipe', 'inherit'] })
  let out = ''
  child.stdout.on('data', (b: Buffer) => { out += b.toString() })
  t.equal(await new Promise(resolve => child.on('close', resolve)), 0)
  t.match(JSON.parse(out), { code: 'MRS_ERR_JOB_UNSHIPPABLE', message: /made in \[eval\], which is no module file/ })
})

t.test('defineJob() checks the job at once', async t => {
  t.throws(() => defineJob(null as never), { code: 'MRS_ERR_JOB_SHAPE' })
  t.throws(() => defineJob({ map () {}, reduce: 1 } as never), { code: 'MRS_ERR_JOB_SHAPE', message: /`reduce` must be a function \(or null, for a map-only job\)/ })
  t.throws(() => defineJob({ map () {}, reducer () {} } as never), { code: 'MRS_ERR_JOB_SHAPE', message: /did you mean `reduce`/ })
  t.throws(() => defineJob({ map () {}, combine () {} } as never), { code: 'MRS_ERR_JOB_SHAPE', message: /`combine` without `reduce`/ })
  t.throws(() => defineJob({ map () {}, reduce () {}, combine: 'sum' } as never), { code: 'MRS_ERR_JOB_SHAPE', message: /`combine` must be a function/ })
  const frozen = defineJob(Object.freeze({ map (l: string, emit: (k: string, v: number) => void) { emit(l, 1) }, reduce () { return 1 } }))
  t.equal(typeof frozen.map, 'function', 'a frozen job is copied, not refused')
})
