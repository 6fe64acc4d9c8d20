// csv-parse's synchronous parser, loaded on first use: only --format csv needs it, and loading
// it took ~8 ms of every worker's start (and the main thread's) for every other format.
import { createRequire } from 'node:module'
import type { Options, parse as Parse } from 'csv-parse/sync'

const require = createRequire(import.meta.url)
let loaded: ((input: string, options: Options) => unknown) | undefined

export function parseCsv (input: string, options: Options): unknown {
  loaded ??= (require('csv-parse/sync') as { parse: typeof Parse }).parse as (input: string, options: Options) => unknown
  return loaded(input, options)
}
