// The script a user would write without a framework: read stdin chunk by chunk, split lines,
// aggregate in a Map (or collect lines in an array), print at the end.
//   node node-map.mjs <wordcount|paths|sum|hotkey|sort> < input > output
const scenario = process.argv[2]

const handlers = {
  wordcount: countWords,
  paths: pathsRequestsAndBytes,
  sum: sumPerKey,
  hotkey: sumPerKey,
  sort: sortLines,
}

function countWords () {
  const counts = new Map()
  return {
    line (line) {
      for (const word of line.split(/\s+/)) if (word) counts.set(word, (counts.get(word) ?? 0) + 1)
    },
    * results () { for (const [word, n] of counts) yield `${word}\t${n}\n` },
  }
}

function pathsRequestsAndBytes () {
  const totals = new Map()
  return {
    line (line) {
      // fields by indexOf in one walk, as the mrstream job finds them (split(' ') is 5x slower)
      const start = fieldStart(line, 6, 0, 0)
      if (start === -1) return
      const end = fieldEnd(line, start)
      const path = line.slice(start, end)
      const at = end === line.length ? -1 : fieldStart(line, 9, end + 1, 7)
      const b = at === -1 ? '-' : line.slice(at, fieldEnd(line, at))
      const bytes = b === '-' ? 0 : Number(b)
      const t = totals.get(path)
      if (t === undefined) totals.set(path, [1, bytes])
      else { t[0]++; t[1] += bytes }
    },
    * results () { for (const [path, [n, b]] of totals) yield `${path}\t[${n},${b}]\n` },
  }
}

/** Where field n (from 0) starts, walking on from field k, which starts at `from`; -1 if there is none. */
function fieldStart (line, n, from, k) {
  for (; k < n; k++) {
    from = line.indexOf(' ', from) + 1
    if (from === 0) return -1
  }
  return from
}

/** Where the field that starts at `start` ends. */
function fieldEnd (line, start) {
  const end = line.indexOf(' ', start)
  return end === -1 ? line.length : end
}

function sumPerKey () {
  const sums = new Map()
  return {
    line (line) {
      const tab = line.indexOf('\t')
      const key = line.slice(0, tab)
      sums.set(key, (sums.get(key) ?? 0) + Number(line.slice(tab + 1)))
    },
    * results () { for (const [key, sum] of sums) yield `${key}\t${sum}\n` },
  }
}

function sortLines () {
  const lines = []
  return {
    line (line) { lines.push(line) },
    * results () {
      lines.sort() // UTF-16 order: the same as byte order for text without astral characters
      for (const line of lines) yield line + '\n'
    },
  }
}

async function main () {
  const make = handlers[scenario]
  if (make === undefined) throw new Error(`usage: node node-map.mjs <${Object.keys(handlers).join('|')}>`)
  const handler = make()
  process.stdin.setEncoding('utf8')
  let rest = ''
  for await (const chunk of process.stdin) {
    const lines = (rest + chunk).split('\n')
    rest = lines.pop()
    for (const line of lines) handler.line(line)
  }
  if (rest !== '') handler.line(rest)
  await print(handler.results())
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
