// The public API: run a job from code, type a job, and the errors.
export { main, type Io } from './cli.js'
export { Engine, type EngineOptions, type EngineResult } from './exec/engine.js'
export { defineJob, identity, sum, top, type Job, type Context, type Emit, type MapFn, type ReduceFn } from './job/job.js'
export { MrstreamError, codes, type ErrorCode } from './errors.js'
export type { Key } from './codec/keys.js'
