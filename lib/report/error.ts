// What a command gets to talk to (stdin, stdout, stderr, its environment), and how it ends on
// an error: a one-line message, the error's exit code, no stack trace (unless --debug).
import { MrstreamError, codes, describeThrown } from '../errors.js'
import { removeAllTmpDirs } from '../exec/tmp.js'

export interface Io {
  stdin: NodeJS.ReadableStream
  stdout: NodeJS.WritableStream
  stderr: NodeJS.WritableStream
  env?: Record<string, string | undefined>
}

/** Writes what went wrong to stderr (usage errors point at `help`, e.g. `mrstream --help`); returns the exit code. */
export function reportError (e: unknown, io: Io, debug: boolean, help: string): number {
  removeAllTmpDirs()
  if (e instanceof MrstreamError) {
    io.stderr.write(`mrstream: ${e.message}\n`)
    if (e.code === 'MRS_ERR_USAGE') io.stderr.write(`Try ${help}.\n`)
    if (debug) io.stderr.write(`${e.stack}\n`)
    return codes[e.code].exit
  }
  const code = (e as { code?: string }).code
  if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) {
    io.stderr.write(`mrstream: ${(e as Error).message}\nTry ${help}.\n`)
    return 2
  }
  io.stderr.write(`mrstream: internal error: ${describeThrown(e)}\n`)
  if (debug && e instanceof Error) io.stderr.write(`${e.stack}\n`)
  return 1
}
