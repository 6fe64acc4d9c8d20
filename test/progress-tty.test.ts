// The progress display for real, on a pseudo-terminal (script(1)) of 50 and 200 columns: the
// percent rises, an ETA is shown, no drawn line passes the width, and stdout holds the data only.
import t from 'tap'
import { spawnSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { bin } from './helpers/cli.js'

const hasScript = spawnSync('script', ['--version']).status === 0

// a map slow by design (a pause every 1,000 records: over a second a worker), so that the display
// draws many frames and has the half second of rates an ETA needs (at a pause every 2,000 a fast
// machine's map ended before it, 1 run in 5)
const slowJob = `const pause = new Int32Array(new SharedArrayBuffer(4))
let n = 0
export function map (line, emit) { if (++n % 1000 === 0) Atomics.wait(pause, 0, 0, 20); emit(line.length % 50, 1) }
export function reduce (k, vs) { let n = 0; for (const v of vs) n += v; return n }
`

function drawnLines (captured: string): string[] {
  // each frame ends with CR (or is erased by ESC sequences): split on both, strip the escapes
  return captured.split(/\r|\n/).map(l => l.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '')).filter(l => l.startsWith('mrstream:'))
}

for (const cols of [50, 200]) {
  t.test(`a terminal of ${cols} columns`, { skip: hasScript ? false : 'script(1) is not installed' }, async t => {
    const dir = t.testdir({ 'slow.mjs': slowJob, tmp: {} })
    const lines: string[] = []
    for (let i = 0; i < 120_000; i++) lines.push(`line ${i} ${'x'.repeat(i % 40)}`)
    writeFileSync(join(dir, 'in.txt'), lines.join('\n') + '\n')
    const cmd = `stty cols ${cols} rows 20; exec env -u NODE_OPTIONS "${process.execPath}" "${bin}" --job slow.mjs --workers 2 --memory 1MB --tmp-dir tmp in.txt > out.txt`
    const r = spawnSync('script', ['-q', '-e', '-c', cmd, '/dev/null'], { cwd: dir, encoding: 'utf8', timeout: 300_000 })
    t.equal(r.status, 0, r.stderr)
    const drawn = drawnLines(r.stdout)
    t.ok(drawn.length >= 3, `several frames drawn (${drawn.length})`)
    const wide = drawn.filter(l => l.length > cols && !l.startsWith('mrstream: done in '))
    t.same(wide, [], 'no redrawn line passes the width (the summary, written once, may wrap)')
    const percents = drawn.map(l => /^mrstream: map .*?(\d+)%/.exec(l)).filter(m => m !== null).map(m => Number(m![1]))
    t.ok(percents.length >= 2 && percents[percents.length - 1]! > percents[0]!, `the percent rises (${percents.join(' ')})`)
    t.ok(percents.every((p, i) => i === 0 || p >= percents[i - 1]!), 'and never falls')
    t.ok(drawn.some(l => /ETA \d/.test(l)), 'an ETA is shown')
    t.ok(drawn.some(l => /^mrstream: done in /.test(l)), 'a summary line ends the run')
    const out = readFileSync(join(dir, 'out.txt'), 'utf8')
    t.match(out, /^(\d+\t\d+\n)+$/, 'stdout holds the output lines only')
  })
}
