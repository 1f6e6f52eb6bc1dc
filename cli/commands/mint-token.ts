import { ROLES } from '../../libs/platform/src/auth/jwt';
import { mintLocalToken } from '../../libs/platform/src/auth/local-token';
import { UsageError } from '../cli-errors';
import type { Command, ParsedLine } from '../command';
import { numberOption } from '../command-line';

/** What `mint-token` was asked for. */
export interface MintTokenArgs {
  readonly role: string;
  readonly subject?: string;
  readonly ttlSeconds?: number;
}

export function parseMintTokenArgs({ values, positionals }: ParsedLine): MintTokenArgs {
  const [role, subject] = positionals;
  return { role, subject, ttlSeconds: numberOption(values, 'ttl', { integer: true, min: 1, command: 'mint-token' }) };
}

/** A bearer token for local use, by the same rules as scripts/mint-token.ts. */
export const mintToken: Command = {
  name: 'mint-token',
  synopsis: `<${ROLES.join('|')}> [subject] [--ttl <seconds>]`,
  summary: 'print a bearer token for local use (a worker\'s subject is its workerId)',
  details: [
    'Signs an HS256 token with $JWT_SECRET, or the development secret when it is unset, as scripts/mint-token.ts does.',
    'Other roles than worker get the subject <role>-local unless one is given. Tokens last 12 hours unless --ttl says otherwise.',
  ],
  options: { ttl: { type: 'string', value: 'seconds', help: 'how long the token is valid (default 43200, 12 hours)' } },
  positionals: { min: 1, max: 2 },
  examples: ['clearwork mint-token worker w-1', 'clearwork mint-token auditor --ttl 600', 'curl -H "Authorization: Bearer $(npm run -s clearwork -- mint-token platform)" http://127.0.0.1:3001/v1/tasks/t-1'],
  async run(line, { globals, io }) {
    const args = parseMintTokenArgs(line);
    const minted = mintLocalToken({ ...args, secret: globals.jwtSecret });
    if (!minted.ok) throw new UsageError(minted.problem, 'mint-token');
    io.out(minted.token);
    return 0;
  },
};
