// DuckDB through @duckdb/node-api, with the same memory budget as mrstream and sort.
//   node duckdb.mjs <scenario> <input> <output> <memory, e.g. 256MB> <temp dir>
// Not a dependency of mrstream: add it with `npm install --no-save @duckdb/node-api`.
import { createReadStream, createWriteStream, rmSync } from 'node:fs'
import { join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { DuckDBInstance } from '@duckdb/node-api'

const [scenario, input, output, memory, tempDir] = process.argv.slice(2)

const str = s => `'${s.replaceAll("'", "''")}'`

// Every line as one VARCHAR column: no header, no quoting, a delimiter that never occurs.
const lines = `read_csv(${str(input)}, columns = {'line': 'VARCHAR'}, header = false, delim = '\x01', quote = '', escape = '', auto_detect = false)`
const pairs = `read_csv(${str(input)}, columns = {'k': 'VARCHAR', 'v': 'BIGINT'}, header = false, delim = '\t', quote = '', escape = '', auto_detect = false)`

// Each query yields one column, the output line `key<TAB>value`.
const countWords = words => `
    SELECT word || chr(9) || count(*)
    FROM (SELECT unnest(${words}) AS word FROM ${lines})
    WHERE word <> ''
    GROUP BY word`
const sumPerKey = `SELECT k || chr(9) || sum(v) FROM ${pairs} GROUP BY k`
const queries = {
  wordcount: countWords("string_split(line, ' ')"),
  text: countWords("string_split(lower(line), ' ')"),
  paths: `SELECT split_part(line, ' ', 7) || chr(9) || count(*) FROM ${lines} GROUP BY split_part(line, ' ', 7)`,
  dups: `SELECT line || chr(9) || count(*) FROM ${lines} GROUP BY line`,
  sum: sumPerKey,
  letters: countWords("regexp_extract_all(line, '\\p{L}+')"),
  hotkey: sumPerKey,
  sort: `SELECT line FROM ${lines} ORDER BY line`,
}

const query = queries[scenario]
if (query === undefined || tempDir === undefined) {
  console.error(`usage: node duckdb.mjs <${Object.keys(queries).join('|')}> <input> <output> <memory> <temp dir>`)
  process.exit(2)
}
const instance = await DuckDBInstance.create(':memory:', { memory_limit: memory, temp_directory: tempDir })
const connection = await instance.connect()
// DuckDB's COPY may write a temporary file beside its target and rename it over the target:
// given /dev/stdout, that replaced the /dev/stdout symlink with a regular file (seen here, and
// every later run of any tool then wrote nothing). So it writes a file of its own, copied out.
const file = join(tempDir, `duckdb-${process.pid}.out`)
await connection.run(`COPY (${query}) TO ${str(file)} (FORMAT csv, HEADER false, QUOTE '', ESCAPE '', DELIMITER '\x01')`)
connection.closeSync()
try {
  await pipeline(createReadStream(file), output === '/dev/stdout' ? process.stdout : createWriteStream(output))
} finally {
  rmSync(file, { force: true })
}
