// What the benchmarks ran on: CPU, cores, RAM, OS, Node and the peers' versions.
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { availableParallelism, cpus, loadavg, release, totalmem } from 'node:os'
import { join } from 'node:path'
import { ROOT } from './paths.js'

export interface Machine {
  cpu: string
  cores: number
  ramGb: number
  os: string
  node: string
  tools: string[]
  date: string
  /** 1-minute load average when the run started: above 0 means others were using the CPUs. */
  load: number
}

function firstLine (command: string): string {
  const r = spawnSync('bash', ['-c', command], { encoding: 'utf8' })
  return r.status === 0 ? (r.stdout ?? '').split('\n')[0]!.trim() : 'not installed'
}

function cpuModel (): string {
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))
    if (m !== null) return m[1]!.trim()
  } catch {}
  return cpus()[0]?.model ?? 'unknown'
}

function packageVersion (name: string): string {
  try {
    return JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')).version
  } catch {
    return 'not installed'
  }
}

export function describeMachine (): Machine {
  return {
    cpu: cpuModel(),
    cores: availableParallelism(),
    ramGb: totalmem() / 2 ** 30,
    os: `Linux ${release()}`,
    node: process.version,
    tools: [
      firstLine('sort --version'),
      firstLine('mawk -W version 2>&1'),
      `@duckdb/node-api ${packageVersion('@duckdb/node-api')}`,
      `nodejs-polars ${packageVersion('nodejs-polars')}`,
      `chdb ${packageVersion('chdb')} (libchdb ${packageVersion('@chdb/lib-linux-x64-gnu')})`,
    ],
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    load: loadavg()[0]!,
  }
}

export function machineLine (m: Machine): string {
  return `${m.cpu}, ${m.cores} cores, ${m.ramGb.toFixed(1)} GB RAM, ${m.os}, Node ${m.node}, load average ${m.load.toFixed(1)} at start`
}
