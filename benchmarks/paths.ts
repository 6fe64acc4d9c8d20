// Where the benchmark files live. This module runs compiled, as dist/benchmarks/paths.js, or
// from source (benchmarks/paths.ts, e.g. under tsx); both resolve to the same repository.
import { basename, dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
export const ROOT = basename(dirname(here)) === 'dist' ? resolve(here, '../..') : resolve(here, '..')
export const BENCH_DIR = join(ROOT, 'benchmarks')
export const DATA_DIR = join(BENCH_DIR, 'data')
/** The real text: the Gutenberg books the tests use too. */
export const GUTENBERG_DIR = join(ROOT, 'test', 'fixtures', 'gutenberg')
export const OUT_DIR = join(BENCH_DIR, 'out')
export const JOBS_DIR = join(BENCH_DIR, 'jobs')
export const PEERS_DIR = join(BENCH_DIR, 'peers')
export const MRSTREAM_BIN = join(ROOT, 'dist', 'bin', 'mrstream.js')
