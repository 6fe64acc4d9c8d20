// --typecheck: a TypeScript job checked, before it runs, by the TypeScript installed where the
// job is (the user's own version, and their tsconfig.json if one is above the job). Without
// it a .ts job is only stripped of its types (tsx), never checked.
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { basename, dirname, join, parse, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { MrstreamError } from '../errors.js'
import { libModule } from '../paths.js'
import { leftByDeadRuns, removeTmpDir, trackTemp } from '../exec/tmp.js'

// the options of a job with no tsconfig.json above it: strict, as `tsc --init`, and modules
// as tsx loads them (either kind, imports with or without extensions)
const DEFAULTS = { target: 'es2022', lib: ['es2023'], module: 'preserve', strict: true, skipLibCheck: true, allowImportingTsExtensions: true }
// whatever the user's config says: check only, this file and what it imports
const CHECK_ONLY = { noEmit: true, composite: false, incremental: false, declaration: false, emitDeclarationOnly: false }
const PREFIX = '.mrstream-typecheck-'

/** Throws MRS_ERR_JOB_LOAD with TypeScript's diagnostics when the job at `path` (as given: `file`) does not type-check. */
export function typecheck (path: string, file: string): void {
  if (!/\.[mc]?ts$/.test(path)) throw new MrstreamError('MRS_ERR_USAGE', `--typecheck: ${file} is not a TypeScript file (.ts .mts .cts)`)
  const tsc = findTsc(path, file)
  const tsconfig = findUp(dirname(path), 'tsconfig.json')
  // The check's config goes beside the user's (or the job): `extends` keeps their options, and
  // TypeScript finds node_modules/@types from the config's folder up.
  const dir = tsconfig === undefined ? dirname(path) : dirname(tsconfig)
  for (const old of leftByDeadRuns(dir, PREFIX)) rmSync(old, { force: true })
  const config = join(dir, `${PREFIX}${process.pid}-tsconfig.json`)
  const compilerOptions = { ...(tsconfig === undefined ? { ...DEFAULTS, ...selfTypes(path) } : {}), ...CHECK_ONLY, rootDir: parse(path).root }
  trackTemp(config)
  let r
  try {
    writeFileSync(config, JSON.stringify({ ...(tsconfig === undefined ? {} : { extends: `./${basename(tsconfig)}` }), compilerOptions, files: [path], include: [] }), { flag: 'wx' })
    r = spawnSync(process.execPath, [tsc.bin, '-p', config, '--pretty', 'false'], { encoding: 'utf8', maxBuffer: 64 << 20 })
  } catch (e) {
    throw new MrstreamError('MRS_ERR_USAGE', `--typecheck: cannot write ${config}: ${(e as Error).message}`, { phase: 'job', file }, e)
  } finally {
    removeTmpDir(config)
  }
  if (r.status === 0) return
  const out = `${r.stdout}${r.stderr}`.trim().replaceAll(config, basename(config))
  throw new MrstreamError('MRS_ERR_JOB_LOAD', `--typecheck: ${file} does not type-check (TypeScript ${tsc.version}${tsconfig === undefined ? ', strict; no tsconfig.json above the job' : `, ${relative(process.cwd(), tsconfig) || 'tsconfig.json'}`}):\n${out || `tsc exited with ${r.status ?? r.signal}`}`, { phase: 'job', file })
}

/** The tsc of the `typescript` package Node finds from the job's folder. */
function findTsc (path: string, file: string): { bin: string, version: string } {
  const require = createRequire(path)
  let pkgPath: string | undefined
  try {
    pkgPath = require.resolve('typescript/package.json')
  } catch {
    // (a package whose exports leave out package.json: up from its entry point)
    try { pkgPath = findUp(dirname(require.resolve('typescript')), 'package.json') } catch {}
  }
  if (pkgPath === undefined) throw new MrstreamError('MRS_ERR_USAGE', `--typecheck: no TypeScript where ${file} is; install it there (npm install --save-dev typescript), or run without --typecheck`, { phase: 'job', file })
  const pkg = JSON.parse(readFileSync(pkgPath, 'utf8')) as { version?: string, bin?: string | Record<string, string> }
  const bin = typeof pkg.bin === 'string' ? pkg.bin : pkg.bin?.tsc
  if (bin === undefined) throw new MrstreamError('MRS_ERR_USAGE', `--typecheck: the typescript package at ${dirname(pkgPath)} has no tsc`, { phase: 'job', file })
  return { bin: join(dirname(pkgPath), bin), version: pkg.version ?? '?' }
}

function findUp (dir: string, name: string): string | undefined {
  for (;;) {
    if (existsSync(join(dir, name))) return join(dir, name)
    const up = dirname(dir)
    if (up === dir) return undefined
    dir = up
  }
}

/** A job that imports 'mrstream' where no such package is installed gets this one's types (as it gets this one at run time: job.ts). */
function selfTypes (path: string): { paths?: Record<string, string[]> } {
  try {
    createRequire(path).resolve('mrstream')
    return {}
  } catch {
    return { paths: { mrstream: [fileURLToPath(libModule('index.d.ts'))] } }
  }
}
