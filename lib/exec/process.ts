// A command as a process: main(argv, io) on process.argv and the standard streams, then exit
// with its code once stdout and stderr have passed on what they hold. bin/mrstream.ts and a
// job's bundle (lib/hadoop/bundle-main.ts) both end this way.
import { loadingJob } from '../job/job.js'
import { exit, redirectConsole } from '../job/guard.js'
import type { Io } from '../report/error.js'

export async function runProcess (main: (argv: string[], io: Io) => Promise<number>): Promise<never> {
  // the job's console output goes to stderr: stdout is the output (a streaming command runs the job here)
  redirectConsole()
  // Node exits 13, silently, when the event loop empties under a pending top-level await: here,
  // a job module whose own top-level await never settles (a broken job file, exit 2), or a promise
  // the job returned that never settles (in a streaming command, which runs on this thread)
  process.on('exit', code => {
    if (code !== 13 && process.exitCode !== 13) return
    const loading = loadingJob()
    process.stderr.write(`mrstream: ${loading ? 'the job module never finished loading (a top-level await that never settles?)' : 'a promise the job returned never settled'}\n`)
    process.exitCode = loading ? 2 : 1
  })
  const code = await main(process.argv.slice(2), { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env })
  // Exit now: a failed job may leave stdin half-read, which would keep the process waiting. But
  // first let stdout and stderr pass on what they hold: a write to a pipe can wait in their
  // buffer, and process.exit would drop it.
  await Promise.all([process.stdout, process.stderr].map(s => new Promise<void>(resolve => { s.write('', () => resolve()) })))
  // (and let a rejection the job left unhandled be seen: signals.ts fails the run for it)
  await new Promise(resolve => setImmediate(resolve))
  exit(code)
}
