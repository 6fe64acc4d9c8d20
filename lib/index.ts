// The public API: run a job from code (a stream stage, an async iterable, a test helper),
// type a job, the options, the errors. The command line is `mrstream` (bin/).
export { mapReduce, type MapReduceOptions, type MapReduceStream } from './api/map-reduce.js'
export { run, type RunOptions, type RunOutput } from './api/run.js'
export { runJob, type RunJobResult } from './api/run-job.js'
export { defineJob } from './api/define-job.js'
export type { Stats } from './api/job-run.js'
export type { RunInput, HighlandStream } from './api/input.js'
export type { JobRef } from './api/job.js'
export { identity, sum, top, type Job, type Context, type Emit, type MapFn, type ReduceFn } from './job/job.js'
export type { JobOptions, InputFormat, OutputFormat } from './options.js'
export { MrstreamError, codes, type ErrorCode, type ErrorPlace, type BadRecord } from './errors.js'
export type { Counters } from './counters.js'
export type { Key } from './codec/keys.js'
