// A split's first line number, shared between threads: the main thread's count of a file's
// lines publishes it once, and a map task in any thread reads it (waiting only when it needs it).
import { MrstreamError } from '../errors.js'
import { tick } from '../exec/heartbeat.js'

const PENDING = 0
const KNOWN = 1
const FAILED = 2
// a worker waiting for a line number wakes this often (to send its task's heartbeat; to be terminated)
const WAIT_MS = 100

/** A split's first line number: published once by the main thread's count, read by any thread. */
export class LineBase {
  private readonly state: Int32Array
  private readonly value: Float64Array

  constructor (readonly shared: SharedArrayBuffer = new SharedArrayBuffer(16)) {
    this.state = new Int32Array(shared, 0, 2) // [state, wanted]
    this.value = new Float64Array(shared, 8, 1)
  }

  /** Whether a reader has asked for the line number (the count is only made when one has). */
  get wanted (): boolean {
    return Atomics.load(this.state, 1) === 1
  }

  /** The line number, once published (else undefined: no waiting). */
  get known (): number | undefined {
    return Atomics.load(this.state, 0) === KNOWN ? this.value[0] : undefined
  }

  /** The line number; blocks until the count has published it (a worker thread only). */
  line (file: string): number {
    if (Atomics.load(this.state, 0) === PENDING) Atomics.store(this.state, 1, 1)
    while (Atomics.load(this.state, 0) === PENDING) {
      Atomics.wait(this.state, 0, PENDING, WAIT_MS)
      tick()
    }
    if (Atomics.load(this.state, 0) === FAILED) throw new MrstreamError('MRS_ERR_INPUT', `input ${file}: its lines could not be counted`, { phase: 'input', file })
    return this.value[0]!
  }

  publish (line: number): void {
    this.value[0] = line
    Atomics.store(this.state, 0, KNOWN)
    Atomics.notify(this.state, 0)
  }

  fail (): void {
    if (Atomics.compareExchange(this.state, 0, PENDING, FAILED) === PENDING) Atomics.notify(this.state, 0)
  }
}
