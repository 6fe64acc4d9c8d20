// A test file that is interrupted (tap's timeout, Ctrl-C) ends the mrstream runs it started:
// none is left running, and their temp dirs are removed.
import t from 'tap'
import { spawn as spawnUntracked } from 'node:child_process'
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

// (the helpers as tap runs them, compiled beside their sources: no TypeScript loader to start)
const children = fileURLToPath(new URL('./children.js', import.meta.url))
const cli = fileURLToPath(new URL('./cli.js', import.meta.url))

function alive (pid: number): boolean {
  try { process.kill(pid, 0); return true } catch { return false }
}

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  t.test(`a test process ended by ${signal} ends its mrstream run`, async t => {
    const dir = t.testdir({ 'in.txt': 'a\n'.repeat(1000) })
    const tmp = mkdtempSync(join(dir, 'tmp-'))
    // a run that never ends by itself: its map waits forever
    writeFileSync(join(dir, 'forever.mjs'), 'export async function map () { await new Promise(() => setInterval(() => {}, 1000)) }\nexport const reduce = (k, vs) => 0\n')
    writeFileSync(join(dir, 'a.test.mjs'), `import { cliArgv } from ${JSON.stringify(cli)}
import { spawn } from ${JSON.stringify(children)}
const [cmd, argv] = cliArgv(['--job', 'forever.mjs', '--tmp-dir', ${JSON.stringify(tmp)}, 'in.txt'])
const child = spawn(cmd, argv, { cwd: ${JSON.stringify(dir)}, stdio: 'ignore' })
console.log(child.pid)
setInterval(() => {}, 1000)
`)
    const test = spawnUntracked(process.execPath, [join(dir, 'a.test.mjs')], { cwd: dir, stdio: ['ignore', 'pipe', 'inherit'] })
    const pid = await new Promise<number>(resolve => test.stdout!.once('data', (b: Buffer) => resolve(Number(b.toString()))))
    // wait until the run made its temp dir (it got going), however busy the machine
    while (readdirSync(tmp).length === 0) await new Promise(resolve => setTimeout(resolve, 50))
    test.kill(signal)
    await new Promise(resolve => test.on('close', resolve))
    t.notOk(alive(pid), 'the mrstream run is gone')
    t.same(readdirSync(tmp), [], 'its temp dir is removed')
  })
}
