/*
 * Every way of starting the services gives node the same flags (docs/decisions.md, "Services run
 * with 64 MB semi-spaces"): the npm scripts, scripts/run-engine.sh, docker-compose.yml, and the
 * test and benchmark harness (SERVICE_NODE_FLAGS, also used by the audit log benchmark's own
 * start of its service), so what is measured is what users run.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..');
const FLAG = '--max-semi-space-size=64';

/** The lines of `file` that run a built entry point with node. */
function starts(file: string): string[] {
  return readFileSync(join(ROOT, file), 'utf8')
    .split('\n')
    .filter((line) => /\bnode\b/.test(line) && /dist\/apps\/[$a-z]+\/src\/main\.js/.test(line));
}

describe('service start commands', () => {
  it.each(['package.json', 'scripts/run-engine.sh', 'docker-compose.yml'])('%s starts every service with the flags', (file) => {
    const lines = starts(file);
    expect(lines.length).toBeGreaterThanOrEqual(file === 'scripts/run-engine.sh' ? 1 : 3);
    for (const line of lines) expect(line).toContain(FLAG);
  });

  it('the test and benchmark harness starts services with the same flag', () => {
    expect(readFileSync(join(ROOT, 'test', 'support', 'engine.ts'), 'utf8')).toContain(`SERVICE_NODE_FLAGS = ['${FLAG}']`);
  });

  it('the audit log benchmark starts its service with the harness flags', () => {
    const source = readFileSync(join(ROOT, 'bench', 'support', 'audit-service.ts'), 'utf8');
    expect(source).toMatch(/spawn\(process\.execPath, \[\.\.\.nodeArgs, main\]/);
    expect(source).toMatch(/const nodeArgs = \[\.\.\.SERVICE_NODE_FLAGS, /);
  });
});
