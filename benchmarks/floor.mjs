// The floor of a scenario: the job's own map alone, on one thread. Reads the file in 8 MiB
// chunks, cuts them into lines and calls the job's map with an emit that does nothing; no
// sort, no spill, no reduce, no output. The harness divides its time by mrstream's workers.
//   node floor.mjs <job.mjs> <input>
import { closeSync, openSync, readSync } from 'node:fs'
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'

const [jobFile, input] = process.argv.slice(2)
if (input === undefined) {
  console.error('usage: node floor.mjs <job.mjs> <input>')
  process.exit(2)
}
const { map } = await import(pathToFileURL(resolve(jobFile)).href)
let emitted = 0
const emit = () => { emitted++ }

const buf = Buffer.allocUnsafe(8 << 20)
const fd = openSync(input, 'r')
let kept = 0 // bytes of an unfinished line at the start of buf
for (;;) {
  const got = readSync(fd, buf, kept, buf.length - kept, null)
  const end = kept + got
  const last = got === 0 ? end : buf.lastIndexOf(10, end - 1) + 1
  if (last === 0 && got !== 0) throw new Error('a line longer than 8 MiB')
  const lines = buf.toString('utf8', 0, last).split('\n')
  if (got !== 0 || lines[lines.length - 1] === '') lines.pop() // after the chunk's last newline
  for (const line of lines) map(line, emit)
  if (got === 0) break
  buf.copy(buf, 0, last, end)
  kept = end - last
}
closeSync(fd)
console.log(`${emitted} pairs`)
