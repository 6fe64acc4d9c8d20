// The library's options: the command line's (options.ts), camel-cased, plus what only the
// library has (`signal`, run()'s `input`). Checked at once: a misspelt option is an error that
// names the option meant, not a default silently used.
import { MrstreamError, closest } from '../errors.js'
import { optionNames, settings, type JobOptions, type Settings } from '../options.js'

export interface LibraryOptions extends JobOptions {
  /** Stops the job when aborted: the output ends with MRS_ERR_ABORTED, workers end, the temp directory goes. */
  signal?: AbortSignal
}

/** The options checked, with their defaults; `extra` names the other options the caller takes. */
export function librarySettings (options: object | undefined, extra: readonly string[] = []): Settings {
  if (options === undefined) return settings({})
  if (options === null || typeof options !== 'object') throw new MrstreamError('MRS_ERR_USAGE', `options: expected an object, got ${options === null ? 'null' : typeof options}`)
  const known = [...optionNames, 'signal', ...extra]
  for (const name of Object.keys(options)) {
    if (known.includes(name)) continue
    const meant = nearest(name, known)
    throw new MrstreamError('MRS_ERR_USAGE', `unknown option ${JSON.stringify(name)}${meant === undefined ? `; the options are ${known.join(', ')}` : ` (did you mean ${meant}?)`}`)
  }
  const o = options as LibraryOptions
  if (o.signal !== undefined && !(o.signal instanceof AbortSignal)) throw new MrstreamError('MRS_ERR_USAGE', 'signal: expected an AbortSignal')
  return settings(o)
}

/** The known name closest to a misspelt one: the same once case and dashes are ignored, or at most 2 edits away. */
function nearest (name: string, known: string[]): string | undefined {
  const plain = (s: string): string => s.replace(/[-_]/g, '').toLowerCase()
  const same = known.find(k => plain(k) === plain(name))
  if (same !== undefined) return same
  const meant = closest(plain(name), known.map(plain))
  return meant === undefined ? undefined : known.find(k => plain(k) === meant)
}

/** An AbortSignal's abort, as `fn` called once (at once if it is already aborted); returns what removes the listener. */
export function onAbort (signal: AbortSignal | undefined, fn: (reason: unknown) => void): () => void {
  if (signal === undefined) return () => {}
  if (signal.aborted) {
    queueMicrotask(() => fn(signal.reason))
    return () => {}
  }
  const listener = (): void => fn(signal.reason)
  signal.addEventListener('abort', listener, { once: true })
  return () => signal.removeEventListener('abort', listener)
}
