// key-index.ts: a key is found once inserted, and not after the index is emptied, whichever way
// (clear keeps the slots, release gives large ones back) and whatever size it had grown to.
import t from 'tap'
import { KeyArena } from '../../dist/lib/map/key-arena.js'
import { KeyIndex } from '../../dist/lib/map/key-index.js'

t.test('emptied by clear or release, small or grown: no key is found again, and keys index anew', async t => {
  for (const how of ['clear', 'release'] as const) {
    // 100 keys fit the smallest index; 5000 grow it
    for (const count of [100, 5000]) {
      const arena = new KeyArena(1 << 16, 1 << 24)
      const index = new KeyIndex(arena)
      // short keys (in their slots) and long ones (in the arena)
      const keys = Array.from({ length: count }, (_, i) => (i % 2 === 0 ? `k${i}` : `a longer key, number ${i}`))
      for (const k of keys) {
        if (index.find(k) !== -1) t.fail(`${k} found before it was inserted`)
        index.insert()
      }
      t.ok(keys.every((k, i) => index.find(k) === i), `${count} keys found`)
      index[how]()
      arena.clear()
      t.equal(index.size, 0, `${how}: empty`)
      t.ok(keys.every(k => index.find(k) === -1), `${how} after ${count} keys: none is found`)
      arena.clear()
      index[how]()
      for (const k of keys.slice(0, 50).reverse()) { if (index.find(k) === -1) index.insert() }
      t.ok(keys.slice(0, 50).reverse().every((k, i) => index.find(k) === i), `${how} after ${count} keys: keys index anew`)
    }
  }
})
