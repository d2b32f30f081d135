/**
 * Setup file of the unit project (vitest.config.ts): a unit test starts no server, opens no
 * connection and runs no other program. Each of those throws here, naming the way out, so a file
 * that belongs to the integration project fails on its first run instead of slowing down
 * `npm run test:unit` or making it depend on Debian packages.
 */
import childProcess from 'node:child_process';
import { syncBuiltinESMExports } from 'node:module';
import net from 'node:net';

const MOVE = 'is an integration test: add it to INTEGRATION_TESTS in test/projects.ts';

export class UnitGuardError extends Error {
  constructor(what: string) {
    super(`a unit test may not ${what}; this file ${MOVE} (see test/README.md)`);
    this.name = 'UnitGuardError';
  }
}

const refuse = (what: string) => () => {
  throw new UnitGuardError(what);
};

net.Server.prototype.listen = refuse('listen on a socket') as never;
net.Socket.prototype.connect = refuse('open a network connection') as never;
for (const name of [
  'spawn',
  'spawnSync',
  'fork',
  'exec',
  'execSync',
  'execFile',
  'execFileSync',
] as const) {
  (childProcess as Record<string, unknown>)[name] = refuse(`run a process (${name})`);
}
// `import { spawn } from 'node:child_process'` reads the ESM copy of the exports: update it.
syncBuiltinESMExports();
