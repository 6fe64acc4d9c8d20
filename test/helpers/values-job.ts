// The values job: a job module whose reduce checks, inside the job, that every value it gets is
// indistinguishable from the one map emitted (docs/semantics.md).
// Values of every type docs/semantics.md allows. Record i (the line is i) emits makeValue(i) under key i (one
// value at top level) and [i, makeValue(i)] under ['all', i % 3] (many values per key, nested).
// reduce rebuilds makeValue(i) and compares strictly: Object.is, prototypes, own keys in order,
// bytes, dates, Map/Set entries in order. It returns "ok" or "bad:<where>: <what>".
export const valuesJobSource = (bigString: boolean): string => `
const kinds = [
  () => undefined,
  () => null,
  () => true,
  () => false,
  () => NaN,
  () => -0,
  () => 0,
  () => Infinity,
  () => -Infinity,
  () => 1.5,
  () => -(2 ** 53),
  () => Number.MAX_VALUE,
  () => 5e-324,
  () => 2 ** 31,
  () => -(2 ** 31) - 1,
  () => 123n,
  () => 0n,
  () => -(2n ** 70n),
  () => 2n ** 64n - 1n,
  () => -(2n ** 63n),
  () => '',
  () => 'a\\tb\\r\\nc\\\\d"e',
  () => '\\u0000\\uffff\\u{10000}\\u{1f600}\\ue000',
  () => '__proto__',
  () => new Date(0),
  () => new Date(-1),
  () => new Date(8.64e15),
  () => new Date(NaN),
  () => new Date(1234567890123),
  () => new Uint8Array([1, 2, 3, 255]),
  () => new Uint8Array(0),
  () => Buffer.from('buffer \\u00e9'),
  () => Buffer.alloc(0),
  () => [],
  () => [undefined, null, -0, NaN, [1, [2, [3n]]], { a: undefined }],
  () => ({}),
  () => ({ a: 1, b: { c: [undefined] }, d: undefined, e: -0 }),
  () => ({ 2: 'two', 1: 'one', b: 'b', a: 'a' }),
  () => JSON.parse('{"__proto__": {"polluted": 1}, "constructor": "c", "toString": 2, "valueOf": null}'),
  () => ({ nested: JSON.parse('{"a": [{"__proto__": []}]}') }),
  () => new Map(),
  () => new Map([[1, 'a'], ['1', 'b'], [null, undefined], [-0, NaN], [{ k: 1 }, [2]], [[1], new Date(5)]]),
  () => new Map([['__proto__', 1], ['constructor', 2]]),
  () => new Set(),
  () => new Set([1, '1', NaN, null, undefined, [1], { a: 1 }, 2n]),
  () => ({ m: new Map([['k', new Set([new Date(0), Buffer.from([255])])]]), big: 1n, u8: new Uint8Array([9]) }),
  () => [new Map([[new Map([[1, 2]]), new Set([new Set([3])])]])],
  ${bigString ? "() => 'x'.repeat(100000) + '\\u{10000}'," : ''}
]
export const nKinds = kinds.length
export function makeValue (i) { return kinds[i % kinds.length]() }

function differ (a, b, path) {
  if (typeof a !== typeof b) return path + ': typeof ' + typeof a + ', want ' + typeof b
  if (typeof a !== 'object' || a === null || b === null) {
    return Object.is(a, b) ? null : path + ': ' + show(a) + ', want ' + show(b)
  }
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) {
    return path + ': prototype ' + protoName(a) + ', want ' + protoName(b)
  }
  if (a instanceof Date) return Object.is(a.getTime(), b.getTime()) ? null : path + ': date ' + a.getTime() + ', want ' + b.getTime()
  if (a instanceof Uint8Array) {
    if (a.length !== b.length) return path + ': length ' + a.length + ', want ' + b.length
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return path + '[' + i + ']: byte ' + a[i] + ', want ' + b[i]
    return null
  }
  if (a instanceof Map || a instanceof Set) {
    if (a.size !== b.size) return path + ': size ' + a.size + ', want ' + b.size
    const ea = [...a]
    const eb = [...b]
    for (let i = 0; i < ea.length; i++) {
      const d = differ(ea[i], eb[i], path + '.entry' + i)
      if (d) return d
    }
    return null
  }
  const ka = Reflect.ownKeys(a)
  const kb = Reflect.ownKeys(b)
  if (ka.length !== kb.length || ka.some((k, i) => k !== kb[i])) {
    return path + ': own keys ' + JSON.stringify(ka.map(String)) + ', want ' + JSON.stringify(kb.map(String))
  }
  for (const k of ka) {
    const da = Object.getOwnPropertyDescriptor(a, k)
    const db = Object.getOwnPropertyDescriptor(b, k)
    if (da.enumerable !== db.enumerable || ('value' in da) !== ('value' in db)) return path + '.' + String(k) + ': property kind differs'
    const d = differ(a[k], b[k], path + '.' + String(k))
    if (d) return d
  }
  return null
}
function protoName (x) {
  const p = Object.getPrototypeOf(x)
  return p === null ? 'null' : (p.constructor && p.constructor.name) || '?'
}
function show (x) {
  return typeof x === 'bigint' ? x + 'n' : Object.is(x, -0) ? '-0' : typeof x === 'string' ? JSON.stringify(x.slice(0, 40)) : String(x)
}

export function map (line, emit) {
  const i = Number(line)
  emit(i, makeValue(i))
  emit(['all', i % 3], [i, makeValue(i)])
}
export function reduce (key, values) {
  const problems = []
  let n = 0
  for (const v of values) {
    n++
    if (typeof key === 'number') {
      const d = differ(v, makeValue(key), 'value of record ' + key + ' (kind ' + key % nKinds + ')')
      if (d) problems.push(d)
    } else {
      if (!Array.isArray(v) || v.length !== 2 || typeof v[0] !== 'number') { problems.push('wrapper ' + show(v)); continue }
      const d = differ(v[1], makeValue(v[0]), '[i, value] of record ' + v[0] + ' (kind ' + v[0] % nKinds + ')')
      if (d) problems.push(d)
    }
  }
  if (typeof key === 'number' && n !== 1) problems.push('key ' + key + ' got ' + n + ' values, want 1')
  return problems.length ? 'bad:' + problems.slice(0, 3).join('; ') : 'ok'
}
`
