/**
 * Redaction of resolved secret values: whatever an attempt produces (output, error message, error details) is
 * searched for every value it resolved and each occurrence replaced by `[secret:<name>]`, so a tool that echoes
 * its credentials back cannot publish them to the workflow's viewers.
 */

/** Shortest value that is redacted (shorter ones would blank out ordinary text). */
export const MIN_REDACTED_LENGTH = 4;

/** Collects the values one attempt resolved and removes them from what it returns. */
export class Redactor {
  private readonly values = new Map<string, string>();

  /** Remembers `value` (of secret `name`) for redaction. */
  add(name: string, value: string): void {
    if (value.length >= MIN_REDACTED_LENGTH) this.values.set(value, name);
  }

  /** True when no value is held. */
  get empty(): boolean {
    return this.values.size === 0;
  }

  /** `text` with every held value replaced. */
  text(text: string): string {
    let out = text;
    for (const [value, name] of this.values) if (out.includes(value)) out = out.split(value).join(`[secret:${name}]`);
    return out;
  }

  /** A copy of a JSON value with every string (keys included) redacted. */
  value<T>(input: T): T {
    if (this.empty) return input;
    const walk = (v: unknown, depth: number): unknown => {
      if (typeof v === 'string') return this.text(v);
      if (v === null || typeof v !== 'object' || depth > 64) return v;
      if (Array.isArray(v)) return v.map((item) => walk(item, depth + 1));
      return Object.fromEntries(Object.entries(v).map(([k, item]) => [this.text(k), walk(item, depth + 1)]));
    };
    return walk(input, 0) as T;
  }
}
