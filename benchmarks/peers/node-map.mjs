// The script a user would write without a framework, on one thread: read stdin chunk by chunk,
// split lines, call the job's own map, sum the values per key in a Map (or, for sort, collect
// the keys in an array), print at the end.
//   node node-map.mjs <job.mjs> [--sort] < input > output
// A Map throws past 2^24 keys (sum at 1 GiB).
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'

const [jobFile, mode] = process.argv.slice(2)
if (jobFile === undefined) throw new Error('usage: node node-map.mjs <job.mjs> [--sort]')
const { map } = await import(pathToFileURL(resolve(jobFile)).href)

function summing () {
  const sums = new Map()
  return {
    emit: (key, value) => { sums.set(key, (sums.get(key) ?? 0) + value) },
    * results () { for (const [key, sum] of sums) yield `${key}\t${sum}\n` },
  }
}

function sorting () {
  const keys = []
  return {
    emit: key => { keys.push(key) },
    * results () {
      keys.sort() // UTF-16 order: the same as byte order for text without astral characters
      for (const key of keys) yield key + '\n'
    },
  }
}

async function main () {
  const { emit, results } = mode === '--sort' ? sorting() : summing()
  process.stdin.setEncoding('utf8')
  let rest = ''
  for await (const chunk of process.stdin) {
    const lines = (rest + chunk).split('\n')
    rest = lines.pop()
    for (const line of lines) map(line, emit)
  }
  if (rest !== '') map(rest, emit)
  await print(results())
}

/** Writes the output in ~1 MB pieces, waiting when stdout is full. */
async function print (pieces) {
  let out = ''
  for (const piece of pieces) {
    out += piece
    if (out.length > 1 << 20) {
      if (!process.stdout.write(out)) await new Promise(resolve => process.stdout.once('drain', resolve))
      out = ''
    }
  }
  process.stdout.write(out)
}

await main()
