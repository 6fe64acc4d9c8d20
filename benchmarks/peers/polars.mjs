// Polars through nodejs-polars, the query sunk to a CSV file by the streaming engine, with as
// many threads as mrstream has workers (the command sets POLARS_MAX_THREADS). Polars has no
// memory limit to set.
//   node polars.mjs <scenario> <input> <temp dir>   (writes the result to stdout)
// Not a dependency of mrstream: add it with `npm install --no-save nodejs-polars nodejs-polars-linux-x64-gnu`.
import { createReadStream, rmSync } from 'node:fs'
import { join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import pl from 'nodejs-polars'

const [scenario, input, tempDir] = process.argv.slice(2)

// Every line as one string column: no header, a delimiter and a quote that never occur.
const lines = () => pl.scanCSV(input, { hasHeader: false, sep: '\x01', quoteChar: '\x02', schema: { line: pl.Utf8 } })
const pairs = () => pl.scanCSV(input, { hasHeader: false, sep: '\t', quoteChar: '\x02', schema: { k: pl.Utf8, v: pl.Int64 } })
const line = pl.col('line')

/** Count of each value of `words`, a list column, after exploding it; empty words dropped. */
const countWords = words => lines()
  .select(words.alias('w'))
  .explode('w')
  .filter(pl.col('w').neq(pl.lit('')))
  .groupBy('w')
  .agg(pl.len().alias('n'))

const sumPerKey = () => pairs().groupBy('k').agg(pl.col('v').sum())

// Each query yields the output's columns: key, value (sort: the line alone).
const queries = {
  wordcount: () => countWords(line.str.split(' ')),
  text: () => countWords(line.str.toLowerCase().str.split(' ')),
  paths: () => lines().select(line.str.split(' ').lst.get(6).alias('path')).groupBy('path').agg(pl.len().alias('n')),
  dups: () => lines().groupBy('line').agg(pl.len().alias('n')),
  sum: sumPerKey,
  letters: () => countWords(line.str.replaceAll('[^\\p{L}]+', ' ').str.split(' ')),
  hotkey: sumPerKey,
  sort: () => lines().sort('line'),
}

const query = queries[scenario]
if (query === undefined || tempDir === undefined) {
  console.error(`usage: node polars.mjs <${Object.keys(queries).join('|')}> <input> <temp dir>`)
  process.exit(2)
}
const file = join(tempDir, `polars-${process.pid}.out`)
try {
  query().sinkCSV(file, { includeHeader: false, separator: '\t', quoteStyle: 'never' }).collectSync({ engine: 'streaming' })
  await pipeline(createReadStream(file), process.stdout)
} finally {
  rmSync(file, { force: true })
}
