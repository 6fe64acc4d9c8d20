// Each input's format: FILE:FORMAT, else --format, else its name's extension, else lines.
import t from 'tap'
import { formatOfName, inputFormats, parseInput } from '../../dist/lib/input/formats.js'

t.test('FILE:FORMAT names a known format at the end; anything else is a file name', async t => {
  t.same(parseInput('orders.dat:ndjson'), { name: 'orders.dat', format: 'ndjson' })
  t.same(parseInput('-:csv'), { name: '-', format: 'csv' })
  t.same(parseInput('dir/a:b.txt:lines'), { name: 'dir/a:b.txt', format: 'lines' })
  t.same(parseInput('odd:csv:file'), { name: 'odd:csv', format: 'file' })
  t.same(parseInput('a.txt'), { name: 'a.txt' })
  t.same(parseInput('a.txt:yaml'), { name: 'a.txt:yaml' }, 'not a format: part of the name')
  t.same(parseInput('a.txt:'), { name: 'a.txt:' })
  t.same(parseInput(':csv'), { name: ':csv' }, 'no file before the colon')
  t.same(parseInput('a.txt:CSV'), { name: 'a.txt:CSV' }, 'formats are lower case')
})

t.test('by extension: .csv, .ndjson and .jsonl, also before .gz; else lines', async t => {
  t.equal(formatOfName('users.csv'), 'csv')
  t.equal(formatOfName('USERS.CSV'), 'csv')
  t.equal(formatOfName('users.csv.gz'), 'csv')
  t.equal(formatOfName('o.ndjson'), 'ndjson')
  t.equal(formatOfName('hdfs://nn/data/o.jsonl.gz'), 'ndjson')
  t.equal(formatOfName('o.json'), 'lines', 'a JSON document is not NDJSON')
  t.equal(formatOfName('log.txt.gz'), 'lines')
  t.equal(formatOfName('csv'), 'lines')
  t.equal(formatOfName('-'), 'lines')
})

t.test('an input\'s own format, then --format, then its name', async t => {
  const names = ['u.csv', 'o.ndjson', 'x.txt', '-', 'y.csv']
  t.same(inputFormats(names, undefined, undefined), ['csv', 'ndjson', 'lines', 'lines', 'csv'])
  t.same(inputFormats(names, [undefined, undefined, 'ndjson', 'csv', undefined], undefined), ['csv', 'ndjson', 'ndjson', 'csv', 'csv'])
  t.same(inputFormats(names, [undefined, undefined, undefined, undefined, 'csv'], 'lines'), ['lines', 'lines', 'lines', 'lines', 'csv'])
})
