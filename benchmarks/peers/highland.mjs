// The naive highland pipeline: one stream event per line, as in highland's own examples.
//   node highland.mjs <wordcount|paths|sum|hotkey|sort> < input > output
// The benchmark runs it on a slice of the input only (per-record streams are slow).
import _ from 'highland'

const scenario = process.argv[2]

// Each turns the stream of lines into a stream of output lines. Generated inputs have no empty
// lines, so the empty string that split() yields after the final newline is dropped.
const pipelines = {
  wordcount: lines => lines
    .flatMap(line => _(line.split(/\s+/)))
    .filter(word => word !== '')
    .reduce(new Map(), (counts, word) => counts.set(word, (counts.get(word) ?? 0) + 1))
    .flatMap(counts => _(counts.entries()))
    .map(([word, n]) => `${word}\t${n}\n`),
  paths: lines => lines
    .map(line => line.split(' '))
    .map(fields => [fields[6], fields[9] === '-' ? 0 : Number(fields[9])])
    .reduce(new Map(), (totals, [path, bytes]) => {
      const t = totals.get(path) ?? [0, 0]
      t[0]++
      t[1] += bytes
      return totals.set(path, t)
    })
    .flatMap(totals => _(totals.entries()))
    .map(([path, [n, b]]) => `${path}\t[${n},${b}]\n`),
  sum: sumPerKey,
  hotkey: sumPerKey,
  sort: lines => lines
    .sortBy((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map(line => line + '\n'),
}

function sumPerKey (lines) {
  return lines
    .map(line => line.split('\t'))
    .reduce(new Map(), (sums, [key, value]) => sums.set(key, (sums.get(key) ?? 0) + Number(value)))
    .flatMap(sums => _(sums.entries()))
    .map(([key, sum]) => `${key}\t${sum}\n`)
}

const pipeline = pipelines[scenario]
if (pipeline === undefined) throw new Error(`usage: node highland.mjs <${Object.keys(pipelines).join('|')}>`)
pipeline(_(process.stdin).split().filter(line => line !== '')).pipe(process.stdout)
