// Stopping a job through the library, at each phase, and its failures: each in a process of
// its own (test/fixtures/api/scenario.mjs), which must end with the stream's error code, an
// empty --tmp-dir, and then exit by itself (no worker, timer or handle left behind).
import t, { type Test } from 'tap'
import { spawn } from 'node:child_process'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { cleanEnv } from '../helpers/run.js'

t.setTimeout(600_000)

const script = fileURLToPath(new URL('../fixtures/api/scenario.mjs', import.meta.url))
// a process that has not exited this long after starting is taken to hang (it is killed)
const HANG_MS = 120_000

interface Ended { exit: number | null, signal: NodeJS.Signals | null, result: Record<string, unknown> | undefined, stderr: string }

async function scenario (t: Test, name: string): Promise<Ended> {
  const dir = t.testdir()
  const markers = join(dir, 'markers')
  mkdirSync(markers)
  const child = spawn('env', ['-u', 'NODE_OPTIONS', process.execPath, script, name, join(dir, 'tmp')], { env: { ...cleanEnv(), MRS_TEST_MARKERS: markers }, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  child.stdout.on('data', (b: Buffer) => { out += b.toString() })
  child.stderr.on('data', (b: Buffer) => { err += b.toString() })
  const killer = setTimeout(() => child.kill('SIGKILL'), HANG_MS)
  const [exit, signal] = await new Promise<[number | null, NodeJS.Signals | null]>(resolve => child.on('close', (code, sig) => resolve([code, sig])))
  clearTimeout(killer)
  let result: Record<string, unknown> | undefined
  try { result = JSON.parse(out.trim().split('\n').pop()!) as Record<string, unknown> } catch {}
  return { exit, signal, result, stderr: err }
}

const cases: Array<[string, Record<string, unknown>]> = [
  ['destroy in map', { code: null, destroyed: true }],
  ['destroy with an error in map', { code: 'MINE', destroyed: true }],
  ['abort in map', { code: 'MRS_ERR_ABORTED' }],
  ['abort in merge', { code: 'MRS_ERR_ABORTED', pairs: 0 }],
  ['abort in reduce', { code: 'MRS_ERR_ABORTED', pairs: 0 }],
  ['break in output', { pairs: 1, stats: 'MRS_ERR_ABORTED' }],
  ['destroy in output', { code: null, destroyed: true }],
  ['pipeline aborted', { code: 'ABORT_ERR' }],
  ['slow reader', { pairs: 8011 }],
  ['slow reader of bytes', { pairs: 8011 }],
  ['map throws', { code: 'MRS_ERR_MAP' }],
  ['map throws, the writer never reads', { code: 'MRS_ERR_MAP', destroyed: true }],
  ['reduce throws', { code: 'MRS_ERR_REDUCE', pairs: 0 }],
  ['bad ndjson', { code: 'MRS_ERR_PARSE' }],
  ['input fails', { code: 'MRS_ERR_INPUT', pairs: 0 }],
  ['plain object job', { code: 'MRS_ERR_JOB_UNSHIPPABLE' }],
  ['job defined in a callback', { code: 'MRS_ERR_JOB_UNSHIPPABLE' }],
  ['job module runs another job', { code: 'MRS_ERR_JOB_LOAD', pairs: 0 }],
]

// what the error's message must say, where it says what to do or where
const messages: Record<string, RegExp> = {
  'plain object job': /defineJob\(\)/,
  'job defined in a callback': /scenario\.mjs:\d+ from a callback/,
  'bad ndjson': /-:2/, // (the record, by its line)
}

for (const [name, want] of cases) {
  t.test(name, async t => {
    const r = await scenario(t, name)
    t.equal(r.signal, null, 'the process was not killed: it ended by itself')
    t.equal(r.exit, 0, `exit 0\n${r.stderr}`)
    t.match(r.result, want, 'how the job ended')
    if (messages[name] !== undefined) t.match(r.result?.message, messages[name], 'the message says what to do')
    t.same(r.result?.tmp, [], 'the temp directory is gone')
    t.notMatch(r.stderr, /Unhandled|unhandled|Warning/, 'nothing unhandled')
  })
}
