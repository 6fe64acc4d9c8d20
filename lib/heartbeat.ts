// Tells the pool a long task is still making progress (it ends tasks silent for
// --task-timeout). Cheap enough for hot loops: it posts at most once a second.
let post: (() => void) | undefined
let last = 0

export function setHeartbeat (fn: () => void): void {
  post = fn
}

export function tick (): void {
  if (post === undefined) return
  const now = Date.now()
  if (now - last < 1000) return
  last = now
  post()
}
