// What a streaming command has done so far, and its `reporter:status:` lines. Hadoop ends a task
// that reports nothing for mapreduce.task.timeout (600 s by default), so a command that makes
// progress (reads a line, writes one) says so, at most every `everyMs`: a slow but live task (a
// hot key's reduce) is kept, a stuck one is not. Cheap enough for every line: the clock is read
// only every `every` beats, `every` doubling while beats come within the same millisecond (up
// to MOST) and back to 1 when they come slowly, so that slow beats are each looked at.
import { showKey } from '../codec/keys.js'

const MOST = 256

export class Progress {
  /** Records (map) or lines (combine, reduce) read. */
  read = 0
  keys = 0
  written = 0
  key: unknown = undefined
  private last = Date.now()
  private checked = 0
  private beats = 0
  private every = 1

  constructor (private readonly phase: 'map' | 'combine' | 'reduce', private readonly report: ((line: string) => void) | undefined, private readonly everyMs: number) {}

  beat (): void {
    if (this.report === undefined || ++this.beats < this.every) return
    this.beats = 0
    const now = Date.now()
    if (now - this.checked > 10) this.every = 1
    else if (now === this.checked && this.every < MOST) this.every *= 2
    this.checked = now
    if (now - this.last < this.everyMs) return
    this.last = now
    this.report(`reporter:status:${this.status()}\n`)
  }

  /** One line, as Hadoop shows a task's status: no CR or LF (its reader would end the line there). */
  status (): string {
    const map = this.phase === 'map'
    const key = map || this.keys === 0 ? '' : `, at key ${showKey(this.key).slice(0, 200)}`
    return `mrstream ${this.phase}: ${this.read} ${map ? 'records' : 'lines'} read, ${map ? '' : `${this.keys} keys, `}${this.written} lines written${key}`.replace(/[\r\n]/g, ' ')
  }
}
