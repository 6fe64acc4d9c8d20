// SIGINT/SIGTERM/SIGHUP: remove the temp directory (and any output being written), then
// re-raise the signal so the shell sees the usual 130/143/129. `process.on('exit')` does not
// run on signals, so this is the only place that cleans up for them. The handlers are set once
// there is something to remove: before that, the default action ends the process at once, even
// while a job's top-level code (imported on the main thread) keeps JavaScript from running.
import { describeThrown, outsideError } from '../errors.js'
import { onFirstTemp, removeAllTmpDirs } from './tmp.js'

export function installSignalHandlers (): void {
  onFirstTemp(() => {
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
      process.once(sig, () => {
        removeAllTmpDirs()
        process.kill(process.pid, sig)
      })
    }
  })
  // The job's code throwing on the main thread after its call returned (a streaming phase's
  // callback, a timer set by a job module's top level): the job fails, cleaned up, as in a worker.
  const fail = (e: unknown): void => {
    const err = outsideError(e)
    process.stderr.write(`mrstream: ${err?.message ?? `internal error: ${describeThrown(e)}`}\n`)
    removeAllTmpDirs()
    process.exit(1)
  }
  process.on('uncaughtException', fail)
  process.on('unhandledRejection', fail)
  // A reader closing stdout early (`| head`) is a clean stop, not a crash.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') { removeAllTmpDirs(); process.exit(0) }
  })
}
