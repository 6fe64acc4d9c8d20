// Tells the pool a task is still making progress (it ends tasks silent for --task-timeout): a
// counter in memory shared with the main thread, which the pool's watchdog reads. Cheap enough
// for every record and every value: an increment, with no clock to read and no message to send;
// and the watchdog sees it even when the main thread was too busy to read messages.
let beats: Int32Array<ArrayBufferLike> = new Int32Array(1)

/** The worker's counter (pool.ts made it, over a SharedArrayBuffer). */
export function setHeartbeat (shared: Int32Array): void {
  beats = shared
}

export function tick (): void {
  beats[0]!++
}
