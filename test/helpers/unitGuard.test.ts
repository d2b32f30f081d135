import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { INTEGRATION_TESTS } from '../projects.ts';
import { UnitGuardError } from './unitGuard.ts';

const root = new URL('../../', import.meta.url).pathname;

describe('the unit project guard', () => {
  it('refuses a listening socket, a connection and a child process', async () => {
    expect(() => createServer().listen(0, '127.0.0.1')).toThrow(UnitGuardError);
    expect(() => spawn('true')).toThrow(/may not run a process \(spawn\).*test\/projects\.ts/);
    expect(() => execFileSync('true')).toThrow(UnitGuardError);
    await expect(fetch('http://127.0.0.1:9/')).rejects.toThrow();
  });
});

describe('test/projects.ts', () => {
  it('lists only files and folders that exist, each once', () => {
    expect(new Set(INTEGRATION_TESTS).size).toBe(INTEGRATION_TESTS.length);
    for (const entry of INTEGRATION_TESTS) {
      const star = entry.lastIndexOf('*');
      if (star < 0) {
        expect(existsSync(`${root}${entry}`), entry).toBe(true);
        continue;
      }
      // `folder/*suffix`: at least one file of the folder matches.
      const folder = entry.slice(0, entry.lastIndexOf('/'));
      const suffix = entry.slice(star + 1);
      const matches = readdirSync(`${root}${folder}`).filter((f) => f.endsWith(suffix));
      expect(matches.length, entry).toBeGreaterThan(0);
    }
  });
});
