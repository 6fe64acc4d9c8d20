// A reduce-side join of a CSV and an NDJSON input: each order with its buyer's name and
// country. Each input is read in the format its extension names, and ctx.file tells them apart.
//   mrstream --job examples/join.js examples/data/users.csv examples/data/orders.ndjson
//
// The key [user id, 0] for a user and [user id, 1, order id] for an order, grouped by the first
// element (groupBy = 1), brings each user's row to reduce before that user's orders, in order
// id order, whatever the order of the inputs: nothing is held in memory but the one user.
export const groupBy = 1

export function map (record, emit, ctx) {
  if (ctx.file.endsWith('.csv')) emit([record.id, 0], { name: record.name, country: record.country })
  else emit([record.user, 1, record.order], record)
}

// One line per order (a left join: an order of an unknown user has null name and country)
export function reduce (id, values, emit) {
  let user = { name: null, country: null }
  for (const v of values) {
    if (v.order === undefined) user = v
    else emit(id, [v.order, user.name, user.country, v.item, v.amount])
  }
}
