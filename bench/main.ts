/**
 * `npm run bench [-- <name> ...]`: run benchmarks (all of them without a name) and print their
 * figures and ratios.
 * Each bench/<name>.ts exports `run(): Promise<BenchResult>`. Results are also written as JSON to
 * bench/tmp/<name>.json; the figures we stand by are written down in docs/benchmarks/<name>.md.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { BenchResult } from './result.ts';

const dir = fileURLToPath(new URL('.', import.meta.url));
const available = readdirSync(dir)
  .filter((f) => f.endsWith('.ts') && !['main.ts', 'result.ts'].includes(f))
  .map((f) => f.slice(0, -3))
  .sort();

const named = process.argv.slice(2).filter((a) => !a.startsWith('-'));
if (process.argv.includes('--help')) {
  console.log(
    `usage: npm run bench [-- <name> ...]   (no name: all of them)\navailable: ${available.join(', ')}`,
  );
  process.exit(0);
}
const asked = named.length > 0 ? named : available;
const unknown = asked.filter((a) => !available.includes(a));
if (unknown.length > 0) {
  console.error(`unknown benchmark ${unknown.join(', ')}; available: ${available.join(', ')}`);
  process.exit(1);
}

mkdirSync(`${dir}tmp`, { recursive: true });
let failed = false;
if (asked.length > 1) {
  // Each in a process of its own: one bench's heap and threads must not weigh on the next one's
  // CPU and RSS figures (the simulator's RSS read ~250 MB high after the ingest bench).
  for (const name of asked) {
    const child = spawnSync(
      process.execPath,
      [...process.execArgv, fileURLToPath(import.meta.url), name],
      {
        stdio: 'inherit',
      },
    );
    if (child.status !== 0) failed = true;
  }
  process.exit(failed ? 1 : 0);
}
for (const name of asked) {
  console.log(`\n== bench ${name} (${new Date().toISOString()})`);
  try {
    const mod = (await import(`./${name}.ts`)) as { run: () => Promise<BenchResult> };
    const result = await mod.run();
    for (const [k, v] of Object.entries(result.metrics)) console.log(`  ${k.padEnd(40)} ${v}`);
    for (const [k, v] of Object.entries(result.ratios))
      console.log(`  ratio ${k.padEnd(34)} ${v.toFixed(3)}`);
    for (const n of result.notes) console.log(`  note: ${n}`);
    writeFileSync(
      `${dir}tmp/${name}.json`,
      `${JSON.stringify({ at: new Date().toISOString(), ...result }, null, 2)}\n`,
    );
  } catch (err) {
    failed = true;
    console.error(`bench ${name} failed:`, err);
  }
}
process.exit(failed ? 1 : 0);
