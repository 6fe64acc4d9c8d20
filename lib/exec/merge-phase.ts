// The merge phase: passes over the map tasks' runs until no more are left than a reduce task
// reads at once (the fan-in).
import { join } from 'node:path'
import { unlinkSync } from 'node:fs'
import { mergeFanIn, mergeGroups } from './plan.js'
import type { RunInfo } from '../runs/run-format.js'
import type { EngineView } from './engine-view.js'

/**
 * Extra passes while there are more runs than the fan-in, over groups of consecutive runs (so
 * run order, hence value order, holds). As Hadoop's merger does, a pass merges only as many
 * runs as it takes for the rest to fit the fan-in: 68 runs at fan-in 64 merged 64 of them
 * into one (a 1 GB sum waited 33 s on that single task); now 2 groups of 3 runs, one a worker.
 */
export async function mergePhase (e: EngineView, runs: RunInfo[]): Promise<RunInfo[]> {
  const fanIn = mergeFanIn(e.opts.fanIn, e.opts.memory / e.opts.workers, runs)
  while (runs.length > fanIn) {
    e.counters.mergePasses++
    const groups = mergeGroups(runs.length, fanIn, e.opts.workers).map(([from, to]) => runs.slice(from, to))
    const pass = e.counters.mergePasses
    e.phase('merge', groups.filter(g => g.length > 1).length, pass)
    const tasks = groups.map((group, g) => group.length === 1
      ? undefined
      : e.pool!.submit(e.newTask(() => `merge task (pass ${pass}, group ${g})`, id => attempt => ({ type: 'merge', task: id, attempt, runs: group.map(r => r.path), out: join(e.tmp!, `merge-${pass}-${g}-t${id}-a${attempt}.run`) }))))
    const merged: RunInfo[] = []
    for (let g = 0; g < groups.length; g++) {
      const t = tasks[g]
      if (t === undefined) { merged.push(groups[g]![0]!); continue }
      const r = await t.result
      e.commit(t, r)
      e.status.done++
      merged.push(r.runs[0]!)
      for (const old of groups[g]!) { try { unlinkSync(old.path) } catch {} }
    }
    runs = merged
  }
  return runs
}
