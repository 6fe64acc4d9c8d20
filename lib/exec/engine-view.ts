// The engine as its phases (map-phase.ts, merge-phase.ts, reduce-phase.ts) see it: the step it
// runs and how, the worker pool, the counters and progress, and the job's stop. Engine
// implements it; the phases import this, not the engine that imports them.
import type { Counters } from '../counters.js'
import type { Input } from '../input/read.js'
import type { Format } from '../input/records.js'
import type { JobSource } from '../job/job.js'
import type { OutputFormat } from '../output/format.js'
import type { Plan } from './plan.js'
import type { Pool, Task, TaskResult } from './pool.js'
import type { ToWorker } from './worker.js'

/** One step of the job as the engine runs it. */
export interface Step {
  job: JobSource
  inputs: Input[]
  /** the inputs as ctx.file and messages give them, where not their paths (a chain's later step reads the step before's output from a temp file) */
  names?: string[]
  formats: Format[]
  outputFormat: OutputFormat
  name: string
  /** The step's groupBy: reduce's key ranges end where groups begin. */
  groupBy: number | undefined
}

export type PhaseName = 'map' | 'merge' | 'reduce' | 'output'

export interface EngineView {
  readonly opts: { readonly fanIn: number, readonly memory: number, readonly workers: number, readonly stdin: NodeJS.ReadableStream }
  readonly step: Step
  readonly plan: Plan
  /** A line's most bytes in the step's input. */
  readonly maxLineBytes: number
  readonly pool: Pool | undefined
  /** The job's temp dir. */
  readonly tmp: string | undefined
  readonly counters: Counters
  /** The progress of the phase: tasks done and how many, input bytes read. */
  readonly status: { done: number, total: number, bytesRead: number }
  /** A new phase begins, of `total` tasks. */
  phase: (phase: PhaseName, total: number, pass?: number) => void
  newTask: (describe: () => string, start: (id: number) => (attempt: number) => ToWorker) => Task
  /** A task's results, once (its last attempt's). */
  commit: (task: Task, r: TaskResult) => void
  /** p, or the job's error if it is aborted first. */
  race: <T>(p: Promise<T>) => Promise<T>
  /** Stops the job: the first error wins. */
  abort: (e: unknown) => void
  isAborted: () => boolean
  throwIfAborted: () => void
}
