/*
 * Writes the AsyncAPI 3.0 description of contract v1 from the zod schemas in libs/contracts:
 *   npx tsx scripts/asyncapi.ts           writes docs/asyncapi.yaml
 *   npx tsx scripts/asyncapi.ts --check   exits 1 when docs/asyncapi.yaml differs from what the schemas give
 * Exit status: 0 written or up to date, 1 out of date, 2 the command was wrong.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ASYNCAPI_PATH, asyncApiYaml, staleAsyncApi } from '../libs/contracts/src/asyncapi/asyncapi-document';

const USAGE = 'usage: npx tsx scripts/asyncapi.ts [--check]';

const args = process.argv.slice(2);
if (args.some((a) => a !== '--check')) {
  console.error(USAGE);
  process.exit(2);
}

const file = resolve(__dirname, '..', ASYNCAPI_PATH);
const generated = asyncApiYaml();

if (args.includes('--check')) {
  const problem = staleAsyncApi(existsSync(file) ? readFileSync(file, 'utf8') : null, generated);
  if (problem) {
    console.error(problem);
    process.exit(1);
  }
  console.log(`${ASYNCAPI_PATH} is up to date`);
} else {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, generated);
  console.log(`wrote ${ASYNCAPI_PATH}`);
}
