// Sessions from click events: a user's events in time order, cut where 30 minutes pass
// without one. A secondary sort: the key is [user, time], and groupBy = 1 makes reduce run
// once per user with that user's events in time order, streamed (one user's events may be
// more than memory holds).
//   mrstream --job examples/sessions.js examples/data/events.ndjson
export const groupBy = 1

const GAP = 30 * 60 * 1000

export function map (event, emit) {
  const t = Date.parse(event.time)
  emit([event.user, t], [t, event.time, event.page])
}

// One line per session: its first and last event's time, and the pages in order
export function reduce (user, events, emit) {
  let session
  for (const [t, time, page] of events) {
    if (session !== undefined && t - session.last > GAP) {
      emit(user, session.out)
      session = undefined
    }
    session ??= { last: t, out: { start: time, end: time, pages: [] } }
    session.last = t
    session.out.end = time
    session.out.pages.push(page)
  }
  if (session !== undefined) emit(user, session.out)
}
