// Output checks: normalize a tool's output to `key<TAB>value` lines in `LC_ALL=C sort` order,
// then fingerprint it (md5 + line count). Two tools agree when their fingerprints are equal.
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { createReadStream, statSync, unlinkSync } from 'node:fs'
import { sh } from './measure.js'

export interface Fingerprint {
  md5: string
  lines: number
  /** The output was already in `LC_ALL=C` order before any sorting (mrstream must be). */
  wasSorted: boolean
  /** The normalized, sorted file, kept for diffs. */
  normalized: string
}

function bash (command: string): { status: number | null, stderr: string } {
  const r = spawnSync('bash', ['-c', `set -o pipefail; ${command}`], { encoding: 'utf8', maxBuffer: 1 << 20 })
  return { status: r.status, stderr: r.stderr ?? '' }
}

/**
 * `output` -> `<output>.kv` (through `normalize`, if any) -> `<output>.norm` (sorted, unless it
 * already was) -> md5. Sorting uses the same memory and scratch dir as the tools.
 */
export async function fingerprint (output: string, normalize: string | undefined, sortMemoryKb: number, tmpDir: string): Promise<Fingerprint> {
  let kv = output
  if (normalize !== undefined) {
    kv = `${output}.kv`
    const r = bash(`${normalize} < ${sh(output)} > ${sh(kv)}`)
    if (r.status !== 0) throw new Error(`normalizing ${output} failed: ${r.stderr}`)
  }
  const wasSorted = bash(`LC_ALL=C sort -c ${sh(kv)} 2>/dev/null`).status === 0
  let normalized = kv
  if (!wasSorted) {
    normalized = `${output}.norm`
    const r = bash(`LC_ALL=C sort -S ${sortMemoryKb}K -T ${sh(tmpDir)} ${sh(kv)} -o ${sh(normalized)}`)
    if (r.status !== 0) throw new Error(`sorting ${kv} failed: ${r.stderr}`)
    if (kv !== output) unlinkSync(kv)
  }
  const { md5, lines } = await md5AndLines(normalized)
  return { md5, lines, wasSorted, normalized }
}

async function md5AndLines (path: string): Promise<{ md5: string, lines: number }> {
  const hash = createHash('md5')
  let lines = 0
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    hash.update(chunk)
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++
  }
  return { md5: hash.digest('hex'), lines }
}

/** The first differences between two normalized outputs, as `diff` shows them (small files only). */
export function firstDifferences (expected: string, actual: string, maxLines = 8): string {
  const limit = 256 << 20
  if (statSync(expected).size > limit || statSync(actual).size > limit) return '(outputs too large to diff here; compare the .norm files in benchmarks/out/)'
  const r = spawnSync('bash', ['-c', `diff ${sh(expected)} ${sh(actual)} | head -n ${maxLines}`], { encoding: 'utf8', maxBuffer: 1 << 20 })
  return (r.stdout ?? '').trimEnd()
}
