// SIGINT/SIGTERM/SIGHUP: remove the temp directory (and any output being written), then
// re-raise the signal so the shell sees the usual 130/143/129. `process.on('exit')` does not
// run on signals, so this is the only place that cleans up for them. The handlers are set once
// there is something to remove: before that, the default action ends the process at once, even
// while a job's top-level code (imported on the main thread) keeps JavaScript from running.
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
  // A reader closing stdout early (`| head`) is a clean stop, not a crash.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') { removeAllTmpDirs(); process.exit(0) }
  })
}
