/*
 * Mints a bearer token for local use:
 *   npx tsx scripts/mint-token.ts <role> [subject] [ttlSeconds]
 * role: platform | worker | auditor | reviewer; a worker's subject is its workerId.
 * Uses JWT_SECRET from the environment (the development secret when unset).
 * `clearwork mint-token` does the same through the same function.
 */
import { ROLES } from '../libs/platform/src/auth/jwt';
import { localJwtSecret, mintLocalToken } from '../libs/platform/src/auth/local-token';

const [role, subject, ttl] = process.argv.slice(2);
const minted = mintLocalToken({ role: role ?? '', subject, ttlSeconds: ttl ? Number(ttl) : undefined, secret: localJwtSecret() });
if (!minted.ok) {
  console.error(`${minted.problem}\nusage: npx tsx scripts/mint-token.ts <${ROLES.join('|')}> [subject] [ttlSeconds]`);
  process.exit(2);
}
console.log(minted.token);
