/**
 * `npm run bench -- <name> [<name> ...]`: run benchmarks and print their figures and ratios.
 * Each bench/<name>.ts exports `run(): Promise<BenchResult>`. Results are also written as JSON to
 * bench/tmp/<name>.json; the figures we stand by are written down in docs/benchmarks/<name>.md.
 */
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { BenchResult } from './result.ts';

const dir = fileURLToPath(new URL('.', import.meta.url));
const available = readdirSync(dir)
  .filter((f) => f.endsWith('.ts') && !['main.ts', 'result.ts'].includes(f))
  .map((f) => f.slice(0, -3))
  .sort();

const asked = process.argv.slice(2).filter((a) => !a.startsWith('-'));
if (asked.length === 0 || process.argv.includes('--help')) {
  console.log(`usage: npm run bench -- <name> [<name> ...]\navailable: ${available.join(', ')}`);
  process.exit(asked.length === 0 && !process.argv.includes('--help') ? 1 : 0);
}
const unknown = asked.filter((a) => !available.includes(a));
if (unknown.length > 0) {
  console.error(`unknown benchmark ${unknown.join(', ')}; available: ${available.join(', ')}`);
  process.exit(1);
}

mkdirSync(`${dir}tmp`, { recursive: true });
let failed = false;
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
