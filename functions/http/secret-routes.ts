/**
 * Handlers of the secrets routes: write-only, per caller. No handler ever returns a value.
 */
import type { SecretService } from '../../shared/secrets/secret-service';
import type { RouteHandlers } from './app';
import { callerOf, pathParam, readJsonBody } from './request';

/** Body limit of `PUT /api/v1/secrets/{name}`: a 64 KiB value, JSON-escaped, with room to spare. */
export const SECRET_BODY_LIMIT_BYTES = 400 * 1024;

/** The api function's secrets routes. */
export function secretRoutes(secrets: SecretService): RouteHandlers {
  return {
    listSecrets: async (c) => c.json(await secrets.list(callerOf(c)), 200),
    putSecret: async (c) => {
      const caller = callerOf(c);
      const name = pathParam(c, 'name', 'secret');
      const { meta, created } = await secrets.put(caller, name, await readJsonBody(c, SECRET_BODY_LIMIT_BYTES));
      return c.json(meta, created ? 201 : 200);
    },
    deleteSecret: async (c) => {
      await secrets.remove(callerOf(c), pathParam(c, 'name', 'secret'));
      return c.body(null, 204);
    },
  };
}
