/**
 * `npm run --silent token -- <userId> [expiresIn]`: prints a JWT the local stack accepts for that user, signed
 * with the key in `BRAID_DATA_DIR` (default `.braid/`, created on first use).
 */
import { loadOrCreateSigningKey } from '../../shared/auth/local-key';
import { signLocalToken } from '../../shared/auth/tokens';
import { DEFAULT_DATA_DIR } from './stack';

const [userId, expiresIn] = process.argv.slice(2);
if (!userId || !/^[\w.@+-]{1,256}$/.test(userId)) {
  console.error('usage: npm run --silent token -- <userId> [expiresIn, e.g. 12h]');
  process.exit(2);
}
const key = await loadOrCreateSigningKey(process.env.BRAID_DATA_DIR ?? DEFAULT_DATA_DIR);
console.log(await signLocalToken(key, userId, expiresIn ? { expiresIn } : {}));
