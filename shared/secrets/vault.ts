/**
 * The secret vault port: where values live. AWS: Secrets Manager under a per-owner prefix (`aws-vault.ts`);
 * locally: the store, sealed with AES-256-GCM under a key kept in `.braid/` (`local-vault.ts`).
 * Names and dates live in the table (`secret-repository.ts`), so listing never touches a value.
 */

/** Stores, reads and deletes secret values by (owner, name). */
export interface SecretVault {
  /** Creates or replaces the value. */
  put(ownerId: string, name: string, value: string): Promise<void>;
  /** The value, or `undefined` when the owner holds no such secret. */
  get(ownerId: string, name: string): Promise<string | undefined>;
  /** Removes the value (no error when absent). */
  delete(ownerId: string, name: string): Promise<void>;
}

/** Reads one of an owner's secrets at call time (the executor's view of the vault). */
export type SecretReader = (ownerId: string, name: string) => Promise<string | undefined>;

/**
 * A reader that keeps values for `ttlMs` (Secrets Manager bills per call and caps calls per second), bounded to
 * `maxEntries`. A changed or deleted secret is seen after at most `ttlMs`.
 */
export function cachedReader(vault: Pick<SecretVault, 'get'>, ttlMs: number, now: () => number = Date.now, maxEntries = 1_000): SecretReader {
  const cache = new Map<string, { value: string | undefined; until: number }>();
  return async (ownerId, name) => {
    const key = JSON.stringify([ownerId, name]);
    const hit = cache.get(key);
    if (hit && hit.until > now()) return hit.value;
    const value = await vault.get(ownerId, name);
    if (cache.size >= maxEntries) cache.delete(cache.keys().next().value as string);
    cache.set(key, { value, until: now() + ttlMs });
    return value;
  };
}
