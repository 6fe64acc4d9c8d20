// Sizes, counts and durations as people read them on a status line.

const UNITS = ['B', 'KB', 'MB', 'GB', 'TB']

/** 1536 -> '1.5 KB' (powers of 1024, as --memory reads them) */
export function formatBytes (n: number): string {
  let u = 0
  while (Math.abs(n) >= 1024 && u < UNITS.length - 1) { n /= 1024; u++ }
  return u === 0 ? `${Math.round(n)} B` : `${n < 10 ? n.toFixed(2) : n < 100 ? n.toFixed(1) : Math.round(n)} ${UNITS[u]}`
}

/** 1234567 -> '1.23M' */
export function formatCount (n: number): string {
  if (n < 1000) return `${Math.round(n)}`
  if (n < 1e6) return `${(n / 1e3).toFixed(n < 1e4 ? 2 : 1)}K`
  if (n < 1e9) return `${(n / 1e6).toFixed(n < 1e7 ? 2 : 1)}M`
  return `${(n / 1e9).toFixed(2)}G`
}

/** seconds -> '42s', '3:07', '1:02:03' */
export function formatDuration (secs: number): string {
  if (!Number.isFinite(secs) || secs < 0) return '?'
  const s = Math.round(secs)
  if (s < 60) return `${s}s`
  const h = Math.floor(s / 3600)
  const m = Math.floor((s % 3600) / 60)
  const ss = String(s % 60).padStart(2, '0')
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`
}
