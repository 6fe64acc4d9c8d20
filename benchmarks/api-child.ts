// One case of the library benchmark (api.ts), in a process of its own:
//   node dist/benchmarks/api-child.js CASE FILE MEMORY WORKERS
// bytes:   fs.createReadStream(FILE) -> mapReduce(word count, { format: 'lines', outputFormat: 'tsv' }) -> stdout
// objects: FILE's lines as an object-mode stream of strings -> mapReduce(word count, { outputFormat: 'tsv' }) -> stdout
// split2:  fs.createReadStream(FILE) -> split2() -> mapReduce(word count, { outputFormat: 'tsv' }) -> stdout
//          (split2 cutting the bytes into lines instead of the engine: format 'lines'; split2
//          is no dependency: `npm install --no-save split2` first, else api.ts leaves it out)
// floor:   that stream of strings alone, into a Writable that drops them (what producing them costs)
// slow:    fs.createReadStream(FILE) -> mapReduce(sort lines, { format: 'lines' }) -> a consumer that
//          takes 200 pairs a millisecond at most; prints how many pairs it took
import { closeSync, createReadStream, openSync, readSync } from 'node:fs'
import { join } from 'node:path'
import { Readable, Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { mapReduce } from '../lib/index.js'
import { JOBS_DIR } from './paths.js'

/** A file's lines as strings, an object-mode stream, read and split a block at a time. */
class Lines extends Readable {
  private readonly fd: number
  private readonly buf = Buffer.allocUnsafe(256 << 10)
  private carry = ''

  constructor (file: string) {
    super({ objectMode: true, highWaterMark: 1024 })
    this.fd = openSync(file, 'r')
  }

  override _read (): void {
    for (;;) {
      const n = readSync(this.fd, this.buf, 0, this.buf.length, null)
      if (n === 0) {
        if (this.carry !== '') this.push(this.carry)
        this.push(null)
        return
      }
      const lines = (this.carry + this.buf.toString('utf8', 0, n)).split('\n')
      this.carry = lines.pop()!
      let more = true
      for (const line of lines) more = this.push(line)
      if (!more) return
    }
  }

  override _destroy (error: Error | null, callback: (error?: Error | null) => void): void {
    closeSync(this.fd)
    callback(error)
  }
}

const [kind, file, memory, workers] = process.argv.slice(2) as [string, string, string, string]
const options = { memory, workers: Number(workers) }
const wordcount = join(JOBS_DIR, 'wordcount.mjs')

switch (kind) {
  case 'bytes':
    await pipeline(createReadStream(file), mapReduce(wordcount, { ...options, format: 'lines', outputFormat: 'tsv' }), process.stdout)
    break
  case 'objects':
    await pipeline(new Lines(file), mapReduce(wordcount, { ...options, outputFormat: 'tsv' }), process.stdout)
    break
  case 'split2': {
    const split2 = (await import('split2' as string) as { default: () => NodeJS.ReadWriteStream }).default
    await pipeline(createReadStream(file), split2(), mapReduce(wordcount, { ...options, outputFormat: 'tsv' }), process.stdout)
    break
  }
  case 'floor': {
    const drop = new Writable({ objectMode: true, highWaterMark: 1024, writev (_lines, done) { done() }, write (_line, _e, done) { done() } })
    await pipeline(new Lines(file), drop)
    break
  }
  case 'slow': {
    let pairs = 0
    const slow = new Writable({
      objectMode: true,
      write (_pair, _e, done) {
        if (++pairs % 200 === 0) setTimeout(done, 1)
        else done()
      },
    })
    await pipeline(createReadStream(file), mapReduce(join(JOBS_DIR, 'sort.mjs'), { ...options, format: 'lines' }), slow)
    process.stdout.write(`${pairs}\n`)
    break
  }
  default:
    throw new Error(`unknown case ${kind}`)
}
