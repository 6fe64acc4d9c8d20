// SIGINT/SIGTERM/SIGHUP: remove the temp directory (and any output being written), then
// re-raise the signal so the shell sees the usual 130/143/129. `process.on('exit')` does not
// run on signals, so this is the only place that cleans up for them. The handlers are set once
// there is something to remove: before that, the default action ends the process at once, even
// while a job's top-level code (imported on the main thread) keeps JavaScript from running.
//
// Once the output is in place (renamed into place, or its last byte written), a signal no
// longer stops the run: it ends as it would have, with exit 0. A handler runs only between
// turns of the event loop, so a signal that came during the rename is seen after it; were it
// obeyed then, the exit status would say "interrupted" over a new output. This way the status
// always tells which output is there: 0 the new one, whole; 129/130/143 the old one as it was.
import { describeThrown, outsideError } from '../errors.js'
import { onFirstTemp, removeAllTmpDirs } from './tmp.js'
import { describeExit, exit, guardExit } from '../job/guard.js'

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const
let committed = false

/** The output is in place: a signal from now on lets the run end as it would have (exit 0). */
export function outputCommitted (): void {
  committed = true
}

export function installSignalHandlers (): void {
  onFirstTemp(() => {
    let told = false
    const handler = (sig: NodeJS.Signals): void => {
      if (committed) {
        if (!told) process.stderr.write(`mrstream: ${sig} came after the output was in place; the run ends normally\n`)
        told = true
        return
      }
      removeAllTmpDirs()
      // (the default action again, for the signal re-raised)
      for (const s of SIGNALS) process.removeListener(s, handler)
      process.kill(process.pid, sig)
    }
    for (const sig of SIGNALS) process.on(sig, handler)
  })
  // The job's code throwing on the main thread after its call returned (a streaming command's
  // callback, a timer set by a job module's top level): the job fails, cleaned up, as in a worker.
  const fail = (e: unknown): never => {
    const err = outsideError(e)
    return failWith(err?.message ?? `internal error: ${describeThrown(e)}`)
  }
  process.on('uncaughtException', fail)
  process.on('unhandledRejection', fail)
  // The job's process.exit on this thread (a streaming command's functions, a timer its module
  // set): the job fails, as when it throws there (a worker's is a crash: pool.ts).
  guardExit(code => failWith(`${describeExit(code)}: a job fails by throwing an error, and ends by returning`))
  // A reader closing stdout early (`| head`) is a clean stop, not a crash.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') { removeAllTmpDirs(); exit(0) }
  })
}

function failWith (message: string): never {
  process.stderr.write(`mrstream: ${message}\n`)
  removeAllTmpDirs()
  return exit(1)
}
