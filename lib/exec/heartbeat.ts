// Tells the pool a long task is still making progress (it ends tasks silent for
// --task-timeout). Cheap enough for hot loops: it posts at most once a second, and reads the
// clock only every `every` ticks (Date.now() on each of a sort job's keys was 2% of its
// reduce): `every` doubles while ticks come fast, up to MOST, and drops to 1 when they come
// slowly, so slow ticks are each looked at.
let post: (() => void) | undefined
let last = 0
let checked = 0
let ticks = 0
let every = 1
const MOST = 256

export function setHeartbeat (fn: () => void): void {
  post = fn
}

export function tick (): void {
  if (++ticks < every) return
  ticks = 0
  const now = Date.now()
  if (now - checked > 10) every = 1
  else if (now === checked && every < MOST) every *= 2
  checked = now
  if (post === undefined || now - last < 1000) return
  last = now
  post()
}
