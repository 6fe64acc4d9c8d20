// chDB (ClickHouse embedded) through the chdb package: max_threads as mrstream's workers,
// max_memory_usage as mrstream's --memory, GROUP BY and ORDER BY spilling to disk past half of it.
//   node chdb.mjs <scenario> <input> <memory bytes> <threads> <temp dir>   (writes the result to stdout)
// Not a dependency of mrstream: add it with `npm install --no-save chdb`.
import { createReadStream, mkdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { Session } from 'chdb'

const [scenario, input, memory, threads, tempDir] = process.argv.slice(2)

const str = s => `'${s.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`
const lines = `file(${str(input)}, 'LineAsString')`
const pairs = `file(${str(input)}, 'TSVRaw', 'k String, v Int64')`
const countWords = words => `SELECT w, count() FROM (SELECT arrayJoin(${words}) AS w FROM ${lines}) WHERE w != '' GROUP BY w`
const sumPerKey = `SELECT k, sum(v) FROM ${pairs} GROUP BY k`

const queries = {
  wordcount: countWords("splitByChar(' ', line)"),
  text: countWords("splitByChar(' ', lowerUTF8(line))"),
  paths: `SELECT splitByChar(' ', line)[7] AS path, count() FROM ${lines} GROUP BY path`,
  dups: `SELECT line, count() FROM ${lines} GROUP BY line`,
  sum: sumPerKey,
  letters: countWords("extractAll(line, '\\\\p{L}+')"),
  hotkey: sumPerKey,
  sort: `SELECT line FROM ${lines} ORDER BY line`,
}

const query = queries[scenario]
if (query === undefined || tempDir === undefined) {
  console.error(`usage: node chdb.mjs <${Object.keys(queries).join('|')}> <input> <memory bytes> <threads> <temp dir>`)
  process.exit(2)
}
const half = Math.floor(Number(memory) / 2)
const settings = `max_threads = ${Number(threads)}, max_memory_usage = ${Number(memory)}, max_bytes_before_external_group_by = ${half}, max_bytes_before_external_sort = ${half}`
const dir = join(tempDir, `chdb-${process.pid}`)
mkdirSync(dir, { recursive: true })
const file = join(dir, 'result.tsv')
const session = new Session(dir)
try {
  session.query(`${query} INTO OUTFILE ${str(file)} TRUNCATE FORMAT TSVRaw SETTINGS ${settings}`)
  await pipeline(createReadStream(file), process.stdout)
} finally {
  session.cleanup()
  rmSync(dir, { recursive: true, force: true })
}
