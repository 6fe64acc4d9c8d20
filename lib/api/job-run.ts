// One run of a job for the library: the engine over the caller's inputs, its output read back
// block by block as the caller pulls (output.ts), its counters as `stats`, and a stop that
// ends the workers and removes the temp directory before it resolves.
import { Engine, type EngineOptions, type EngineResult, type Input } from '../exec/engine.js'
import { MrstreamError, describeThrown, type BadRecord } from '../errors.js'
import { removeAllTmpDirs } from '../exec/tmp.js'
import { FragmentReader, type Block } from './output.js'
import type { Counters } from '../counters.js'
import type { OutputFormat, Settings } from '../options.js'
import type { ShippedJob } from './job.js'

/**
 * A run's counters, as `--stats FILE` writes them: built-in (a chain's steps added up, and each
 * step's own), the job's own (ctx.count), the skipped records, seconds per phase.
 */
export interface Stats {
  counters: Counters
  steps: Counters[]
  user: Record<string, number>
  badRecords: BadRecord[]
  phases: Record<string, number>
}

/** A finished run's Stats (what --stats FILE holds too). */
export function statsOf (result: EngineResult): Stats {
  return { counters: result.counters, steps: result.steps, phases: result.phases, user: result.user.toJSON(), badRecords: result.bad }
}

let exitHooked = false

/** The error a run fails with: the engine's MrstreamError, or one made for anything else. */
export function asMrstreamError (e: unknown): MrstreamError {
  if (e instanceof MrstreamError) return e
  return new MrstreamError('MRS_ERR_TASK_FAILED', `internal error: ${describeThrown(e)}`, {}, e)
}

export function aborted (cause?: unknown): MrstreamError {
  const why = cause === undefined ? '' : `: ${describeThrown(cause)}`
  return new MrstreamError('MRS_ERR_ABORTED', `the job was stopped before its end${why}`, {}, cause)
}

export class JobRun {
  readonly stats: Promise<Stats>
  private settle!: { resolve: (s: Stats) => void, reject: (e: unknown) => void }
  private engine: Engine | undefined
  private finished: Promise<void> | undefined
  private failure: MrstreamError | undefined
  private readonly reader: FragmentReader

  /** `output`: pairs (object mode), or lines in a format. */
  constructor (
    private readonly job: ShippedJob, private readonly settings: Settings, private readonly inputs: Input[],
    private readonly output: 'pairs' | OutputFormat, private readonly sizes?: EngineOptions['sizes']
  ) {
    this.reader = new FragmentReader(output === 'pairs')
    this.stats = new Promise<Stats>((resolve, reject) => { this.settle = { resolve, reject } })
    this.stats.catch(() => {}) // (the caller need not look at it: the error also ends the output)
  }

  /** Starts the job, once: workers start, the inputs are read as the map needs them. */
  start (): void {
    if (this.finished !== undefined) return
    if (!exitHooked) {
      // (a process.exit() during a job would leave the temp directory otherwise)
      process.once('exit', removeAllTmpDirs)
      exitHooked = true
    }
    const engine = this.engine = new Engine({
      ...this.settings,
      job: this.job.source,
      ...(this.job.steps === undefined ? {} : { steps: this.job.steps }),
      inputs: this.inputs,
      ...(this.sizes === undefined ? {} : { sizes: this.sizes }),
      outputFormat: this.output,
      output: this.reader,
      reducers: undefined,
      stdin: process.stdin,
      stdout: process.stdout,
    })
    if (this.failure !== undefined) engine.abort(this.failure)
    this.finished = engine.run().then(result => {
      this.settle.resolve(statsOf(result))
    }, e => {
      this.failure ??= asMrstreamError(e)
      this.settle.reject(this.failure)
      return this.reader.close()
    })
  }

  /** The next block of output; null at its end, once the job is done and cleaned up. Throws the job's error. */
  async next (): Promise<Block | null> {
    this.start()
    const block = this.failure === undefined ? await this.reader.next() : null
    if (block !== null) return block
    await this.finished
    if (this.failure !== undefined) throw this.failure
    return null
  }

  /** Stops the job (if it is still running) with `reason`; resolves once the workers are gone and the temp directory removed. */
  async stop (reason: MrstreamError): Promise<void> {
    if (this.finished === undefined) {
      this.failure ??= reason
      this.settle.reject(this.failure)
      return
    }
    this.failure ??= reason
    this.engine!.abort(reason)
    await this.reader.close()
    await this.finished
  }
}
