// A job's bundle: the job, everything it imports, and mrstream's streaming commands in one ES
// module file, built with esbuild, so that a Hadoop task node needs only `node` (>= 20):
//   node job.bundle.mjs map|combine|reduce [--step N] ...
// gives the lines `mrstream map|combine|reduce --job job.mjs ...` gives. A job importing
// 'mrstream' gets this mrstream. The engine's line ranges go on the bundle's last line, so
// that error messages show the job's own stack frames only (errors.ts, useBundleFrames).
import { writeFileSync } from 'node:fs'
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Message, Plugin } from 'esbuild'
import { MrstreamError } from '../errors.js'
import { libModule, packageRoot } from '../paths.js'

// the compiled library the bundle is built from (one file a module, dist/lib/)
const entryModule = fileURLToPath(libModule('hadoop/bundle-main.js'))
const indexModule = fileURLToPath(libModule('index.js'))
const csvModule = fileURLToPath(libModule('input/csv.js'))

// CommonJS packages in the bundle (highland, csv-parse's older builds) require Node's
// modules; an ES module has no `require` of its own
const BANNER = "import { createRequire as __mrstreamRequire } from 'node:module'\nconst require = __mrstreamRequire(import.meta.url)"

/**
 * 'mrstream' in the job is this mrstream, whatever else Node would find from the job's
 * directory; a file: URL (which Node imports, and esbuild does not resolve) is its path.
 */
const resolveSpecial: Plugin = {
  name: 'mrstream-resolve',
  setup (build) {
    build.onResolve({ filter: /^mrstream$/ }, () => ({ path: indexModule }))
    build.onResolve({ filter: /^file:\/\// }, args => ({ path: fileURLToPath(args.path) }))
  },
}

/**
 * csv.ts loads csv-parse on first use through createRequire, which a bundler cannot follow:
 * in the bundle, where loading costs nothing more, it is imported as any module.
 */
const csv: Plugin = {
  name: 'mrstream-csv',
  setup (build) {
    build.onLoad({ filter: /[\\/]input[\\/]csv\.js$/ }, args => args.path !== csvModule
      ? undefined
      : { contents: "import { parse } from 'csv-parse/sync'\nexport function parseCsv (input, options) { return parse(input, options) }\n", loader: 'js', resolveDir: dirname(csvModule) })
  },
}

export interface BundleResult {
  bytes: number
  /** What esbuild warned about (a require it could not follow, ...), one line each. */
  warnings: string[]
}

/** Builds the bundle of the job file `job` at `out`. */
export async function bundleJob (job: string, out: string): Promise<BundleResult> {
  const esbuild = await import('esbuild')
  const jobPath = resolve(job)
  const workingDir = dirname(jobPath)
  const entry = `import * as job from ${JSON.stringify(jobPath)}\nimport { runBundle } from ${JSON.stringify(entryModule)}\nawait runBundle(job, ${JSON.stringify(basename(jobPath))})\n`
  let result
  try {
    result = await esbuild.build({
      stdin: { contents: entry, resolveDir: workingDir, sourcefile: ENTRY, loader: 'js' },
      absWorkingDir: workingDir,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      outfile: resolve(out),
      write: false,
      metafile: true,
      logLevel: 'silent',
      legalComments: 'none',
      banner: { js: BANNER },
      // the TypeScript loader of installed runs (never called in a bundle: esbuild compiles the
      // job), and msgpackr's optional native addon (it falls back to JavaScript without it)
      external: ['tsx', 'tsx/*', 'msgpackr-extract'],
      plugins: [resolveSpecial, csv],
    })
  } catch (e) {
    const errors = (e as { errors?: Message[] }).errors ?? []
    const why = errors.length > 0 ? errors.map(showMessage).join('; ') : (e as Error).message
    throw new MrstreamError('MRS_ERR_JOB_LOAD', `cannot bundle job ${job}: ${why}`, { phase: 'job', file: job }, e)
  }
  const text = result.outputFiles[0]!.text
  const lines = `//# mrstream-engine-lines=${engineLines(text, workingDir, new Set(Object.keys(result.metafile.inputs))).map(([a, b]) => `${a}-${b}`).join(',')}\n`
  const bytes = Buffer.from(text + (text.endsWith('\n') ? '' : '\n') + lines, 'utf8')
  try {
    writeFileSync(out, bytes)
  } catch (e) {
    throw new MrstreamError('MRS_ERR_IO', `cannot write the bundle ${out}: ${(e as Error).message}`, { phase: 'output', file: out }, e)
  }
  return { bytes: bytes.length, warnings: result.warnings.map(showMessage) }
}

function showMessage (m: Message): string {
  const at = m.location === null ? '' : `${m.location.file}:${m.location.line}:${m.location.column + 1}: `
  return `${at}${m.text}`
}

/**
 * The bundle's lines (1-based, inclusive ranges) that are mrstream's own code: esbuild starts
 * each module's code with a `// path` comment line (the path relative to `dir`, as the
 * metafile names its inputs). The code before the first module (esbuild's helpers), the entry
 * and the modules of this package (its dist/ and node_modules/) are the engine's.
 */
export function engineLines (text: string, dir: string, inputs: Set<string>): Array<[number, number]> {
  const lines = text.split('\n')
  const ranges: Array<[number, number]> = []
  let start = 1
  let engine = true
  const close = (end: number): void => {
    if (!engine || end < start) return
    const last = ranges[ranges.length - 1]
    if (last !== undefined && last[1] === start - 1) last[1] = end
    else ranges.push([start, end])
  }
  for (let i = 0; i < lines.length; i++) {
    const m = /^\/\/ (.+)$/.exec(lines[i]!)
    if (m === null || !inputs.has(m[1]!)) continue
    close(i)
    start = i + 1
    const path = resolve(dir, m[1]!)
    engine = m[1] === ENTRY || ENGINE_DIRS.some(d => inside(path, d))
  }
  close(lines.length)
  return ranges
}

const ENTRY = 'mrstream-bundle-entry.mjs'
const ENGINE_DIRS = [join(packageRoot, 'dist'), join(packageRoot, 'node_modules')]

function inside (path: string, dir: string): boolean {
  const r = relative(dir, path)
  return r !== '' && r !== '..' && !r.startsWith('..' + sep) && !isAbsolute(r)
}
