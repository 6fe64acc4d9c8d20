// `mrstream combine` and `mrstream reduce`: the job's function once per key of the sorted protocol lines of
// stdin, with its values streamed. They read their input synchronously, so that a key's values
// stream to the job's one-pass iterable however many there are; the input must be sorted by
// key in byte order (Hadoop's shuffle, `LC_ALL=C sort`), which is checked.
import { join } from 'node:path'
import { LateEmitError, MrstreamError, describeThrown } from '../errors.js'
import { encodeKey, groupKeyOf, showKey, type Key } from '../codec/keys.js'
import { formatPair } from '../output/format.js'
import { jobError, type Context, type Emit, type Job } from '../job/job.js'
import { StagedLines } from '../reduce/staged.js'
import { asyncCombine, isPromise, otherKey, refusedCombine } from '../map/combine.js'
import { guardOnePass, misusedSince, misuseCount, newNotes, stepWarnings, takeMisuse } from '../reduce/mistakes.js'
import { checkTmpBase, makeTmpDir, removeTmpDir } from '../exec/tmp.js'
import { badRecord, type Counts, type StreamingOptions } from './command.js'
import { pairLine, parseGroupedKey, parseKey, parseValue, protocolText } from './protocol.js'
import { Lines, StdoutClosed, type Out } from './stdio.js'
import type { Progress } from './status.js'

/** combine or reduce: the job's function once per key of the sorted input, with its values streamed. */
export async function groupCommand (o: StreamingOptions, job: Job, ctx: Context, counts: Counts, out: Out, progress: Progress): Promise<void> {
  const phase = o.phase as 'combine' | 'reduce'
  const input = new Groups(new Lines(o.maxLineBytes), phase, job.groupBy, progress)
  if (phase === 'combine' && job.combine === undefined) {
    input.copyTo(out) // no combiner: its input goes through as it is
    return
  }
  // with --max-bad-records, a key's lines wait until its function returned (a failed key writes none)
  const staged = o.maxBadRecords > 0
  if (staged) checkTmpBase(o.tmpDir) // made only if a key's output passes 1 MB: checked now, not then
  let tmp: string | undefined
  const lines = new StagedLines(() => { tmp ??= makeTmpDir(o.tmpDir); return join(tmp, 'staged') }, phase)
  const writeLine = (_p: number, line: string): void => { out.write(line) }
  const calls: Calls = { keys: 0, written: 0, emits: 0, live: 0, notes: newNotes() }
  takeMisuse()
  try {
    for (let key = input.nextKey(); key !== NO_KEY; key = input.nextKey()) {
      const call = ++calls.keys
      progress.keys = calls.keys
      progress.key = key
      const write = (line: string): void => {
        progress.beat()
        if (staged) lines.push(0, line)
        else { out.write(line); progress.written = ++calls.written }
      }
      const emit = keyEmit(o, job, calls, { call, key, keyText: input.keyText }, write)
      try {
        await callFor(o, job, ctx, calls, { call, key, values: () => input.values(), emit })
      } catch (e) {
        calls.live = 0
        if (e instanceof StdoutClosed) throw e
        const err = jobError(e, o.phase, `key ${showKey(key)}`, { phase: o.phase, key }, misusedSince(calls.misused!))
        if (err.code !== 'MRS_ERR_REDUCE') throw err
        badRecord(o, counts, err)
        lines.discard()
      }
      progress.written = calls.written += lines.commit(writeLine)
    }
  } finally {
    lines.close()
    if (tmp !== undefined) removeTmpDir(tmp)
  }
  counts.keys = calls.keys
  counts.written = calls.written
  calls.notes.misuse = takeMisuse()
  for (const w of stepWarnings(phase, { records: 0, pairs: 0, keys: calls.keys }, calls.notes)) o.warn?.(w)
}

/**
 * What groupCommand's calls share: keys so far, lines written, pairs emitted, the running
 * call's number (`live`: each call's emit works only while the call runs, see map-task.ts),
 * the misuse count when the running call started, and the job's likely mistakes.
 */
interface Calls { keys: number, written: number, emits: number, live: number, misused?: number, notes: ReturnType<typeof newNotes> }

/** One call: its number, and its key. */
interface KeyCall { call: number, key: unknown }

/** A call's key, its values and its emit. */
type Called = KeyCall & { values: () => Iterable<unknown>, emit: Emit }

/** The emit of call number `call`, for `key` (`keyText` in the input): each pair a line to `write`. */
function keyEmit (o: StreamingOptions, job: Job, calls: Calls, { call, key, keyText }: KeyCall & { keyText: string }, write: (line: string) => void): Emit {
  const combining = o.phase === 'combine'
  const last = o.step === o.steps.length
  return (k, v) => {
    if (call !== calls.live) throw new LateEmitError(`emit was called after its ${o.phase} call returned`)
    calls.emits++
    if (combining) {
      if (protocolText(k, job.groupBy) !== keyText) throw new MrstreamError('MRS_ERR_COMBINE', otherKey(key, k), { phase: 'combine', key })
      write(pairLine(k, v, job.groupBy))
    } else if (last) {
      encodeKey(k)
      write(formatPair(o.outputFormat, k, v))
    } else {
      write(pairLine(k, v))
    }
  }
}

/** Calls the combine or reduce for one key with its values; what it returns is emitted, once checked. */
async function callFor (o: StreamingOptions, job: Job, ctx: Context, calls: Calls, c: Called): Promise<void> {
  const { call, key, emit } = c
  const combining = o.phase === 'combine'
  const emitted = calls.emits
  const misused = calls.misused = misuseCount()
  calls.live = call
  let r = (combining ? job.combine! : job.reduce!)(key, c.values(), emit, ctx)
  if (isPromise(r)) {
    // (as in a local run: a combine is called inside the sort buffer's loop, which cannot wait)
    if (combining) throw new MrstreamError('MRS_ERR_COMBINE', asyncCombine(key), { phase: 'combine', key })
    r = await r
  }
  // (the checks of a combine call in the sort buffer and in merges: combine.ts)
  const refused = combining ? refusedCombine(key, r, calls.emits !== emitted, misused) : undefined
  if (refused !== undefined) throw new MrstreamError('MRS_ERR_COMBINE', refused, { phase: 'combine', key })
  if (r !== undefined) emit(key, r)
  else if (calls.emits === emitted) calls.notes.silent++
  calls.live = 0
}

const NO_KEY = Symbol('no more keys')

/**
 * The sorted protocol lines of combine's or reduce's stdin, key by key: nextKey() moves to the
 * next key (skipping what the job left of the last one's values), values() streams its values.
 * With groupBy, a line's key is GROUP<TAB>ORDER; reduce's keys are the groups (its values run
 * on across ORDER), combine's the whole keys.
 */
class Groups {
  /** The current line's key text: what the input is sorted by. */
  keyText = ''
  /** What the current line is grouped by: the key text, or for reduce with groupBy, its GROUP field. */
  private groupText = ''
  private valueText = ''
  private line = 0
  /** false once the input is done */
  private has = false
  /** The group text nextKey last moved to. */
  private group: string | undefined
  private readonly byGroup: boolean

  constructor (private readonly input: Lines, private readonly phase: 'combine' | 'reduce', private readonly groupBy: number | undefined, private readonly progress: Progress) {
    this.byGroup = phase === 'reduce' && groupBy !== undefined
    this.advance()
  }

  nextKey (): unknown {
    while (this.has && this.groupText === this.group) this.advance()
    if (!this.has) return NO_KEY
    this.group = this.groupText
    let key: unknown
    try {
      key = this.parse(this.keyText)
    } catch (e) {
      throw this.error(`the key ${JSON.stringify(this.keyText.slice(0, 80))} is not a key mrstream map writes: ${describeThrown(e)}`)
    }
    return this.byGroup ? groupKeyOf(key as Key[], this.groupBy!) : key
  }

  /** The current key's values, one pass, read from stdin as they are asked for. */
  values (): IterableIterator<unknown> {
    return new StdinValues(this, this.groupText)
  }

  /** The current key's next value, or NO_KEY after its last. */
  nextValue (groupText: string): unknown {
    if (!this.has || this.groupText !== groupText) return NO_KEY
    let v: unknown
    try {
      v = parseValue(this.valueText)
    } catch (e) {
      throw this.error(`the value is not one mrstream map writes: ${describeThrown(e)}`)
    }
    this.advance()
    return v
  }

  copyTo (out: Out): void {
    while (this.has) {
      out.write(this.keyText + '\t' + this.valueText + '\n')
      this.advance()
    }
  }

  /** A key text's key (with groupBy, the whole key of GROUP<TAB>ORDER). */
  private parse (text: string): unknown {
    if (this.groupBy === undefined) return parseKey(text)
    const tab = text.indexOf('\t')
    return parseGroupedKey(text.slice(0, tab), text.slice(tab + 1), this.groupBy)
  }

  private advance (): void {
    const line = this.input.next()
    this.has = line !== undefined
    if (line === undefined) return
    this.line = this.progress.read = this.input.line
    this.progress.beat()
    const tab = line.indexOf('\t')
    const end = tab === -1 || this.groupBy === undefined ? tab : line.indexOf('\t', tab + 1)
    if (end === -1) throw this.error(`no TAB between key and value (expected the ${this.groupBy === undefined ? 'KEY' : 'GROUP<TAB>ORDER'}<TAB>VALUE lines of mrstream map)`)
    const keyText = line.slice(0, end)
    if (keyText !== this.keyText) this.checkOrder(keyText)
    this.keyText = keyText
    this.groupText = this.byGroup ? line.slice(0, tab) : keyText
    this.valueText = line.slice(end + 1)
  }

  /** Fails unless the new key text sorts at or after the last one, in byte order. */
  private checkOrder (keyText: string): void {
    if (this.line === 1 || Buffer.compare(Buffer.from(this.keyText, 'utf8'), Buffer.from(keyText, 'utf8')) <= 0) return
    const show = (text: string): string => { try { return showKey(this.parse(text)) } catch { return JSON.stringify(text.slice(0, 80)) } }
    const fields = this.groupBy === undefined ? '-k1,1' : '-k1,2'
    throw new MrstreamError('MRS_ERR_UNSORTED', `${this.where()}: input is not sorted by key: ${show(keyText)} comes after ${show(this.keyText)}; sort it in byte order (LC_ALL=C sort -t$'\\t' ${fields}, as Hadoop's shuffle does)`, { phase: this.phase, file: '-', line: this.line })
  }

  private where (): string { return `${this.phase} input -:${this.line}` }

  private error (why: string): MrstreamError {
    return new MrstreamError('MRS_ERR_PARSE', `${this.where()}: ${why}`, { phase: this.phase, file: '-', line: this.line })
  }
}

/** A key's values for the job: an iterator, as a local run's (merge.ts). */
class StdinValues implements IterableIterator<unknown> {
  constructor (private readonly groups: Groups, private readonly groupText: string) {}

  [Symbol.iterator] (): this { return this }

  next (): IteratorResult<unknown> {
    const v = this.groups.nextValue(this.groupText)
    return v === NO_KEY ? { value: undefined, done: true } : { value: v, done: false }
  }
}
Object.setPrototypeOf(StdinValues.prototype, Object.getPrototypeOf(Object.getPrototypeOf([][Symbol.iterator]())) as object)
guardOnePass(StdinValues.prototype)
