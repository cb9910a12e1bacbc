/**
 * The URL schema every address in a definition uses (agents, tools, MCP servers, OAuth token endpoints):
 * an absolute `http:` or `https:` URL of at most 2,048 characters. Where it may point is the egress guard's
 * decision at run time (`shared/egress/`), not this schema's.
 */
import * as z from 'zod';

/** An absolute http(s) URL. */
export const HttpUrlSchema = z
  .string()
  .max(2_048)
  .refine((u) => {
    try {
      const { protocol } = new URL(u);
      return protocol === 'https:' || protocol === 'http:';
    } catch {
      return false;
    }
  }, 'must be an http(s) URL');
