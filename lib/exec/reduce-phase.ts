// The reduce phase: the key space cut into ranges, one reduce task each, whose output
// fragments are the step's output in key order.
import { join } from 'node:path'
import { blockWork, chooseSplitters, groupSplitters } from './plan.js'
import type { RunInfo } from '../runs/run-format.js'
import type { OutputTarget } from '../output/commit.js'
import type { EngineView } from './engine-view.js'

/**
 * Reduce: split the key space into ranges (from the runs' block indexes), about one a worker;
 * one task each. A sink gets each task's fragment as soon as it and the tasks before it are done.
 */
export async function reducePhase (e: EngineView, runInfos: RunInfo[], target: OutputTarget): Promise<string[][]> {
  const partitions = target.partitions
  // (the runs' block indexes as their writers reported them: no footer is read again)
  const runs = runInfos.map(r => r.path)
  const blocks = runInfos.flatMap(r => r.blocks)
  const splitters = groupSplitters(chooseSplitters(blocks.map(b => b[1]), e.opts.workers, blocks.map(blockWork)), e.step.groupBy)
  const bounds: Array<[string | null, string | null]> = []
  for (let i = 0; i <= splitters.length; i++) bounds.push([i === 0 ? null : splitters[i - 1]!, i === splitters.length ? null : splitters[i]!])
  const { bufferBytes } = e.plan
  const tasks = bounds.map(([lo, hi], r) => e.pool!.submit(e.newTask(
    () => `reduce task ${r} (key range ${r + 1} of ${bounds.length})`,
    id => attempt => ({
      type: 'reduce',
      task: id,
      attempt,
      badSoFar: e.counters.badRecords,
      spec: { runs, lo, hi, fragments: fragmentPaths(e.tmp!, id, attempt, partitions), format: e.step.outputFormat, bufferBytes },
    })
  )))
  e.phase('reduce', tasks.length)
  const fragments: string[][] = []
  for (let r = 0; r < tasks.length; r++) {
    const res = await tasks[r]!.result
    e.commit(tasks[r]!, res)
    e.throwIfAborted()
    e.status.done++
    fragments.push(fragmentPaths(e.tmp!, tasks[r]!.id, tasks[r]!.attempts, partitions)) // (the attempt that succeeded)
    if (target.kind === 'sink') target.sink.add(fragments[r]![0]!) // (read while the later tasks run)
  }
  return fragments
}

/** A reduce task attempt's fragment files, one for each output partition. */
function fragmentPaths (tmp: string, task: number, attempt: number, partitions: number): string[] {
  return Array.from({ length: partitions }, (_, p) => join(tmp, `reduce-t${task}-p${p}-a${attempt}.out`))
}
