// The files this process holds open, as /proc/self/fd tells (Linux): for tests that a task
// which fails closes what it opened.
import { readdirSync, readlinkSync } from 'node:fs'

/** The paths, starting with `prefix`, of the files this process holds open. */
export function openFiles (prefix: string): string[] {
  return readdirSync('/proc/self/fd').flatMap(fd => {
    try {
      const target = readlinkSync(`/proc/self/fd/${fd}`)
      return target.startsWith(prefix) ? [target] : []
    } catch { return [] } // (the folder's own fd, gone once read)
  })
}
