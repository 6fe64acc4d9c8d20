// Garbage of large records. V8 frees memory outside its heap (Buffers, and the strings over about
// 1 MB that Node keeps outside the heap) only once 64 MB of it has been allocated since its last
// collection, in each thread, and a thread at rest never collects: a record of 60 MB left its
// bytes and its line behind through the reduce, 1 MB records at --memory 1MB took the run to
// twice its bound. The copies of large records are counted here where they become garbage,
// and collected once they add up to GARBAGE_BYTES, and after a task when 1 MB or more are left.
// Small records never call this.
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'

const GARBAGE_BYTES = 16 << 20

let gc: (() => void) | undefined
let pending = 0

/**
 * Counts `bytes` of large records' copies that are garbage now; collects once they add up to
 * GARBAGE_BYTES, unless `later` (the caller still holds them: settleGarbage collects them).
 */
export function largeGarbage (bytes: number, later = false): void {
  pending += bytes
  if (!later && pending >= GARBAGE_BYTES) collect()
}

// Less than this left at the end of a task is not collected then: a full collection marks the
// whole heap (15-40 ms a worker, which starts its next task only after), and a sort buffer's
// last spill leaves a small key index's slots (128 KB) as garbage. A large record's copies
// alone count at least 512 KB (2 x 256 KB).
const SETTLE_BYTES = 1 << 20

/** Collects what largeGarbage counted, if it is SETTLE_BYTES or more (between tasks). */
export function settleGarbage (): void {
  if (pending >= SETTLE_BYTES) collect()
}

function collect (): void {
  pending = 0
  if (gc === undefined) {
    // gc() from a context made for it: the job's global scope does not get one
    setFlagsFromString('--expose-gc')
    gc = runInNewContext('gc') as () => void
  }
  gc()
}
