/**
 * The Dockerfile, read as Docker reads it (no engine here, so the image is not built; the
 * compiled build it ships is started in productionBuild.test.ts): multi-stage, a runtime stage
 * with production dependencies and compiled JavaScript only, a non-root user, a health check,
 * and build inputs that exist and are not excluded from the context.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ROOT } from './compose.ts';

interface Instruction {
  op: string;
  args: string;
}
interface Stage {
  from: string;
  name: string;
  steps: Instruction[];
}

/** Instructions with line continuations joined, comments dropped, grouped by stage. */
function stages(text: string): Stage[] {
  const lines = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const out: Stage[] = [];
  for (const line of lines) {
    const [op = '', ...rest] = line.split(/\s+/);
    const args = rest.join(' ');
    if (op.toUpperCase() === 'FROM') {
      const m = args.match(/^(\S+)(?:\s+AS\s+(\S+))?$/i);
      out.push({ from: m?.[1] ?? '', name: m?.[2] ?? '', steps: [] });
    } else out.at(-1)?.steps.push({ op: op.toUpperCase(), args });
  }
  return out;
}

const dockerfile = stages(readFileSync(`${ROOT}Dockerfile`, 'utf8'));
const ignored = readFileSync(`${ROOT}.dockerignore`, 'utf8')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith('#') && !l.startsWith('!'));
const stage = (name: string) => dockerfile.find((s) => s.name === name)!;
const args = (s: Stage, op: string) => s.steps.filter((i) => i.op === op).map((i) => i.args);

describe('Dockerfile', () => {
  it('has a build stage, a production-dependency stage and a runtime stage, last', () => {
    expect(dockerfile.map((s) => s.name)).toEqual(['build', 'deps', 'runtime']);
    for (const s of dockerfile) expect(s.from).toMatch(/^node:20(\.\d+)*-bookworm-slim$/);
  });

  it('builds: compiles the services and bundles the web app with the repository scripts', () => {
    const build = stage('build');
    // `npm run <script>` spelled out through package.json, down to the files they run.
    const scripts = (
      JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as {
        scripts: Record<string, string>;
      }
    ).scripts;
    const expand = (text: string, depth = 0): string =>
      depth > 3
        ? text
        : text.replace(/npm run ([\w:-]+)/g, (_, name: string) =>
            expand(scripts[name] ?? `<missing script ${name}>`, depth + 1),
          );
    const runs = expand(args(build, 'RUN').join('\n'));
    expect(runs).toContain('npm ci');
    expect(runs).not.toContain('<missing script');
    expect(runs).toContain('scripts/buildServer.ts');
    expect(runs).toContain('scripts/buildDashboard.ts');
    expect(existsSync(`${ROOT}scripts/buildServer.ts`)).toBe(true);
    expect(existsSync(`${ROOT}scripts/buildDashboard.ts`)).toBe(true);
    // Every source it copies is in the build context (exists, and .dockerignore keeps it).
    for (const copy of args(build, 'COPY')) {
      const sources = copy.split(/\s+/).slice(0, -1);
      for (const src of sources) {
        expect(existsSync(`${ROOT}${src}`), src).toBe(true);
        expect(ignored, `${src} excluded by .dockerignore`).not.toContain(src);
      }
    }
  });

  it('installs production dependencies only, without tsx', () => {
    const runs = args(stage('deps'), 'RUN').join('\n');
    expect(runs).toMatch(/npm ci --omit=dev/);
    expect(runs).toMatch(/rm -rf node_modules\/tsx /);
  });

  it('runs compiled JavaScript as a non-root user, with a health check', () => {
    const runtime = stage('runtime');
    const copies = args(runtime, 'COPY');
    // From the other stages only, and from build only its compiled output.
    for (const c of copies.filter((c) => c.startsWith('--from=build'))) {
      expect(c).toMatch(/^--from=build \/src\/dist\//);
    }
    expect(copies.filter((c) => !c.startsWith('--from=')).join(' ')).toBe('package.json ./');
    const user = args(runtime, 'USER');
    expect(user).toHaveLength(1);
    expect(user[0]).not.toMatch(/^(root|0)(:|$)/);
    const health = args(runtime, 'HEALTHCHECK');
    expect(health).toHaveLength(1);
    expect(health[0]).toMatch(/CMD \["node", "-e", .*\/api\/health/);
    const cmd = JSON.parse(args(runtime, 'CMD')[0]!) as string[];
    expect(cmd[0]).toBe('node');
    expect(cmd[1]).toMatch(/^services\/[a-z]+\/main\.js$/);
    expect(existsSync(`${ROOT}${cmd[1]!.replace(/\.js$/, '.ts')}`)).toBe(true);
    const all = runtime.steps.map((s) => s.args).join('\n');
    expect(all).not.toMatch(/\btsx\b/);
  });

  it('keeps secrets and local state out of the build context', () => {
    for (const entry of ['.env', '.git', 'node_modules', 'data', 'dist']) {
      expect(ignored).toContain(entry);
    }
  });
});
