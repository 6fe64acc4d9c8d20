// Hadoop Streaming commands: `mrstream map|combine|reduce --job FILE [--step N]`, each one
// process reading stdin and writing stdout, as Hadoop starts them, one per task:
//   hadoop jar hadoop-streaming.jar -files job.js -mapper 'mrstream map --job job.js' \
//     -combiner 'mrstream combine --job job.js' -reducer 'mrstream reduce --job job.js' ...
// They speak the protocol of protocol.ts. The last step's reduce writes the job's output
// format, so that
//   cat in | mrstream map --job j | LC_ALL=C sort -t$'\t' -k1,1 | mrstream reduce --job j
// prints the lines `mrstream --job j < in` prints (docs/cli.md).
import { MrstreamError } from '../errors.js'
import { builtinCounters, type CounterName, UserCounters } from '../counters.js'
import { isMapOnly, type Context } from '../job/job.js'
import { groupCommand } from './group-command.js'
import { mapCommand } from './map-command.js'
import type { Counts, StreamingOptions } from './command.js'
import { Out } from './stdio.js'
import { Progress } from './status.js'

const STATUS_EVERY_MS = 60_000

export async function runStreamingCommand (o: StreamingOptions): Promise<void> {
  const job = o.steps[o.step - 1]!
  const user = new UserCounters()
  const file = o.env.mapreduce_map_input_file ?? o.env.map_input_file ?? '-'
  const ctx: Context = { file: o.phase === 'map' ? file : '', line: 0, count: (name, n = 1) => user.add(name, n) }
  const counts: Counts = {}
  if (o.phase !== 'map' && isMapOnly(job)) {
    throw new MrstreamError('MRS_ERR_USAGE', `${o.steps.length > 1 ? `step ${o.step} of the job` : 'the job'} is map-only (no reduce): it has no ${o.phase} phase; its map's output is the ${o.step === o.steps.length ? 'output' : 'next step\'s input'} (Hadoop: -numReduceTasks 0)`, { phase: o.phase })
  }
  const out = new Out()
  const progress = new Progress(o.phase, o.report, o.statusEveryMs ?? STATUS_EVERY_MS)
  if (o.phase === 'map' && job.partition !== undefined) {
    // Hadoop's partitioner decides which reducer gets a key; it cannot call the job's
    o.report?.('mrstream: note: the job\'s partition() is not used under Hadoop Streaming: keys go to reducers by Hadoop\'s partitioner (a hash of the key text)\n')
  }
  if (o.phase === 'map') await mapCommand(o, job, ctx, counts, out, progress)
  else await groupCommand(o, job, ctx, counts, out, progress)
  out.flush()
  if (o.report === undefined) return
  // Hadoop adds up counters of the same name from every task, combiners' with the rest
  const label = (name: CounterName): string => o.phase === 'combine' && name === 'keys' ? 'keys combined' : o.phase === 'combine' && name === 'written' ? 'records combined' : builtinCounters[name]
  for (const [name, n] of Object.entries(counts) as Array<[CounterName, number]>) o.report(`reporter:counter:mrstream,${label(name)},${n}\n`)
  for (const [name, n] of user.values) o.report(`reporter:counter:job,${name.replace(/[,\r\n]/g, ' ')},${counterAmount(n)}\n`)
}

/** A counter's amount as Hadoop reads it (a long: digits, never `1e+21`). */
function counterAmount (n: number): string {
  return Number.isFinite(n) ? BigInt(Math.round(n)).toString() : '0'
}
