/**
 * `npm run --silent token -- <userId> [expiresIn] [--groups a,b]`: prints a JWT the local stack accepts for that
 * user (with `cognito:groups`, or the claim named by `BRAID_GROUPS_CLAIM`, when groups are given), signed with
 * the key in `BRAID_DATA_DIR` (default `.braid/`, created on first use).
 */
import { loadOrCreateSigningKey } from '../../shared/auth/local-key';
import { signLocalToken } from '../../shared/auth/tokens';
import { DEFAULT_DATA_DIR } from './stack';

const args = process.argv.slice(2);
const groupsAt = args.indexOf('--groups');
const groups = groupsAt >= 0 ? (args.splice(groupsAt, 2)[1] ?? '').split(',').filter(Boolean) : [];
const [userId, expiresIn] = args;
if (!userId || !/^[\w.@+-]{1,256}$/.test(userId) || (groupsAt >= 0 && groups.length === 0)) {
  console.error('usage: npm run --silent token -- <userId> [expiresIn, e.g. 12h] [--groups finance,ops]');
  process.exit(2);
}
const key = await loadOrCreateSigningKey(process.env.BRAID_DATA_DIR ?? DEFAULT_DATA_DIR);
const claims = groups.length > 0 ? { [process.env.BRAID_GROUPS_CLAIM || 'cognito:groups']: groups } : undefined;
console.log(await signLocalToken(key, userId, { ...(expiresIn ? { expiresIn } : {}), ...(claims ? { claims } : {}) }));
