/*
 * Mints a bearer token for local use:
 *   npx tsx scripts/mint-token.ts <role> [subject] [ttlSeconds]
 * role: platform | worker | auditor | reviewer; a worker's subject is its workerId.
 * Uses JWT_SECRET from the environment (the development secret when unset).
 */
import { DEV_JWT_SECRET } from '../libs/platform/src/config/load-config';
import { ROLES, signToken, type Role } from '../libs/platform/src/auth/jwt';

const [role, subject, ttl] = process.argv.slice(2);
if (!ROLES.includes(role as Role)) {
  console.error(`usage: npx tsx scripts/mint-token.ts <${ROLES.join('|')}> [subject] [ttlSeconds]`);
  process.exit(2);
}
if (role === 'worker' && !subject) {
  console.error('a worker token needs the workerId as its subject');
  process.exit(2);
}
const secret = process.env.JWT_SECRET ?? DEV_JWT_SECRET;
console.log(signToken(secret, { sub: subject ?? `${role}-local`, role: role as Role }, ttl ? Number(ttl) : 12 * 3600));
