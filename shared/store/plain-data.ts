/**
 * Makes user JSON safe for the DynamoDB marshaller. `@aws-sdk/util-dynamodb` picks an attribute type from
 * `value.constructor.name`, so a plain object with its own `constructor` key (`{"constructor":{"name":"Set"}}`)
 * is taken for a Set, a Number, a Uint8Array, …: the write throws (a 500) or, worse, stores something else.
 * Such objects are handed to the marshaller as a `Map` of their entries, which it always writes as a map
 * attribute (`M`), and which reads back as the same plain object.
 */

/** True for an object literal / `JSON.parse` result (prototype `Object.prototype` or `null`). */
function isPlainObject(value: object): value is Record<string, unknown> {
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/**
 * Returns `value` with every plain object that has an own `constructor` key replaced by a `Map` of its entries,
 * at any depth. Copies only along the paths it changes; anything else (arrays, other objects) is returned as is.
 * @example marshallSafe({ a: { constructor: { name: 'Set' } } }) // { a: Map { 'constructor' => { name: 'Set' } } }
 */
export function marshallSafe<T>(value: T): T {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    value.forEach((item, i) => {
      const safe = marshallSafe(item as unknown);
      if (safe !== item) (out ??= value.slice())[i] = safe;
    });
    return (out ?? value) as T;
  }
  if (!isPlainObject(value)) return value;
  const entries = Object.entries(value);
  let changed = Object.hasOwn(value, 'constructor');
  const safeEntries = entries.map(([k, v]) => {
    const safe = marshallSafe(v);
    if (safe !== v) changed = true;
    return [k, safe] as const;
  });
  if (!changed) return value;
  return (Object.hasOwn(value, 'constructor') ? new Map(safeEntries) : Object.fromEntries(safeEntries)) as T;
}
