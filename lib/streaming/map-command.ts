// `mrstream map`: the job's map over stdin's records (the first step's input, or the protocol
// lines the step before wrote), its pairs written to stdout as protocol lines, or for a
// map-only job's last step, in the output format.
import { LateEmitError, MrstreamError, describeThrown } from '../errors.js'
import { encodeKey } from '../codec/keys.js'
import { formatPair } from '../output/format.js'
import { chunksOf } from '../input/read.js'
import { RecordError, recordsOf } from '../input/records.js'
import { formatOfName } from '../input/formats.js'
import { isMapOnly, jobError, type Context, type Job } from '../job/job.js'
import { checkNotTerm, sums } from '../job/sum.js'
import { badRecord, type Counts, type StreamingOptions } from './command.js'
import { pairLine, parseKey, parseValue, splitLine } from './protocol.js'
import { CHUNK, type Out } from './stdio.js'
import type { Progress } from './status.js'

export async function mapCommand (o: StreamingOptions, job: Job, ctx: Context, counts: Counts, out: Out, progress: Progress): Promise<void> {
  // a later step's map reads the protocol lines the step before it wrote
  const format = o.step === 1 ? o.format ?? (ctx.file === '-' ? 'lines' : formatOfName(ctx.file)) : 'lines'
  const start = Number(o.env.mapreduce_map_input_start ?? o.env.map_input_start ?? 0)
  if ((format === 'csv' || format === 'file') && start > 0) {
    throw new MrstreamError('MRS_ERR_USAGE', `${o.format === undefined ? `${ctx.file}: a ${format} input` : `--format ${format}`} needs whole files, and this map task has a split from byte ${start} of ${ctx.file} (make Hadoop give each map task whole files: -D mapreduce.input.fileinputformat.split.minsize= more than the largest file's bytes, or gzip the files, which Hadoop does not split; or use --format lines/ndjson)`, { phase: 'map', file: ctx.file })
  }
  const pending: string[] = []
  // a map-only job's last step writes the output itself (Hadoop gives the lines to the output format)
  const line = isMapOnly(job) && o.step === o.steps.length
    ? (k: unknown, v: unknown): string => { encodeKey(k); return formatPair(o.outputFormat, k, v) }
    : (k: unknown, v: unknown): string => pairLine(k, v, job.groupBy)
  // each call's emit works only while the call runs (see map-task.ts); `live`: the running call's number
  let calls = 0
  let live = 0
  let records = 0
  let pairs = 0
  const summed = sums(job)
  for await (const chunk of chunksOf('-', { format, chunkBytes: CHUNK, maxLineBytes: o.maxLineBytes, stdin: o.stdin })) {
    const got = recordsOf(chunk, format)
    for (const e of got.errors) badRecord(o, counts, e.named(ctx.file))
    if (got.invalidUtf8 > 0) counts.invalidUtf8 = (counts.invalidUtf8 ?? 0) + got.invalidUtf8
    for (let i = 0; i < got.records.length; i++) {
      ctx.line = got.lines === null ? chunk.firstLine + i : got.lines[i]!
      records++
      progress.read = records
      progress.beat()
      pending.length = 0
      const call = ++calls
      const emit = (k: unknown, v: unknown): void => {
        if (call !== live) throw new LateEmitError('emit was called after its map call returned')
        if (summed && typeof v === 'object') checkNotTerm(v)
        progress.beat()
        pending.push(line(k, v))
      }
      try {
        const record = o.step === 1 ? got.records[i] : pairRecord(got.records[i] as string, ctx.file, ctx.line)
        live = call
        const r = job.map(record, emit, ctx) as Promise<unknown> | undefined
        if (r !== undefined && r !== null && typeof r.then === 'function') await r
        live = 0
      } catch (e) {
        live = 0
        const err = jobError(e, 'map', `${ctx.file}:${ctx.line}`, { phase: 'map', file: ctx.file, line: ctx.line })
        if (err.code !== 'MRS_ERR_MAP' && err.code !== 'MRS_ERR_PARSE') throw err
        badRecord(o, counts, err)
        continue
      }
      for (const l of pending) out.write(l)
      pairs += pending.length
      progress.written = pairs
    }
  }
  counts.records = records
  counts.pairs = pairs
  if (isMapOnly(job)) counts.written = pairs // (its lines are the step's output)
}

/** A later step's map record: [key, value] from a protocol line. */
function pairRecord (line: string, file: string, lineNo: number): [unknown, unknown] {
  const parts = splitLine(line)
  try {
    if (typeof parts === 'string') throw new Error(parts)
    return [parseKey(parts.keyText), parseValue(parts.valueText)]
  } catch (e) {
    throw new RecordError(`not a pair from the step before (KEY<TAB>VALUE): ${describeThrown(e)}`, lineNo).named(file)
  }
}
