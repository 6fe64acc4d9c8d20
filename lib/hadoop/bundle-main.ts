// A job's bundle starts here (bundle.ts builds it): `node job.bundle.mjs map|combine|reduce
// [--step N] [options]` runs one Hadoop Streaming command of the job built into it, as the
// installed `mrstream map|combine|reduce --job FILE` does, with nothing but node.
import { MrstreamError, useBundleFrames } from '../errors.js'
import { jobSteps } from '../job/job.js'
import { installSignalHandlers } from '../exec/signals.js'
import { runProcess } from '../exec/process.js'
import { reportError, type Io } from '../report/error.js'
import { streamingCommand } from '../streaming/cli.js'

const usage = (name: string): string => `Usage: node BUNDLE map|combine|reduce [--step N] [--format F] [--output-format F]
                  [--max-bad-records N] [--max-line-bytes SIZE] [--tmp-dir DIR]
                  [--status-every SECONDS] [-q] [--debug]

One Hadoop Streaming command of the job ${name}, built into this file with mrstream: stdin to
stdout, as \`mrstream map|combine|reduce --job ${name}\` runs it.
`

/** Runs the command argv names for the job module `ns` (the bundle's own import of the job file `name`). */
export async function runBundle (ns: Record<string, unknown>, name: string): Promise<never> {
  installSignalHandlers()
  useBundleFrames(import.meta.url) // (the bundle's own: its modules are one file)
  return await runProcess(async (argv: string[], io: Io): Promise<number> => {
    try {
      const phase = argv[0]
      if (phase === '-h' || phase === '--help') { io.stdout.write(usage(name)); return 0 }
      if (phase !== 'map' && phase !== 'combine' && phase !== 'reduce') throw new MrstreamError('MRS_ERR_USAGE', `${phase === undefined ? 'no phase' : `unknown phase ${JSON.stringify(phase)}`}: give map, combine or reduce`)
      return await streamingCommand(phase, argv.slice(1), io, usage(name), { steps: jobSteps(ns, name), name })
    } catch (e) {
      return reportError(e, io, argv.includes('--debug'), 'node BUNDLE --help')
    }
  })
}
