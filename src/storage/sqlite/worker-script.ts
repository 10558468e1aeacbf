/**
 * Where a worker thread's module is, for `new Worker(url)`. Worker code lives in ordinary typed
 * modules (fold-worker.ts, checkpoint-worker.ts) that the compiler checks like any other; this
 * finds the runnable file for each way the project runs:
 *
 * - compiled by `tsc` (dist/src/...): `<name>.js` beside the caller;
 * - the esbuild bundle (dist/bin/, scripts/bundle.ts): `<name>.mjs` beside the bundle, built as
 *   an entry point of its own;
 * - from sources (Vitest, tsx): only `<name>.ts` exists, and a worker thread has no TypeScript
 *   loader (Vitest's module runner and tsx's hooks stay in the parent thread). It is bundled once
 *   per process with esbuild (a devDependency, present wherever sources are run) into
 *   node_modules/.cache/profile-visitors/, under a name that carries a hash of its content, so
 *   concurrent test processes neither rebuild each other's file nor read a half-written one.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const built = new Map<string, URL>();

/** The runnable file of worker module `name` (no extension), looked for beside `from` (the caller's `import.meta.url`). */
export function workerScript(name: string, from: string): URL {
  for (const ext of ['.js', '.mjs']) {
    const url = new URL(`./${name}${ext}`, from);
    if (existsSync(url)) return url;
  }
  const source = fileURLToPath(new URL(`./${name}.ts`, from));
  if (!existsSync(source)) throw new Error(`worker module ${name} not found beside ${fileURLToPath(from)}`);
  let url = built.get(source);
  if (!url) {
    url = buildFromSource(source);
    built.set(source, url);
  }
  return url;
}

function buildFromSource(source: string): URL {
  // Loaded only here: a compiled install has no esbuild and never gets this far.
  const esbuild = createRequire(import.meta.url)('esbuild') as typeof import('esbuild');
  const out = esbuild.buildSync({
    entryPoints: [source],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    write: false,
    logLevel: 'silent',
  });
  const code = out.outputFiles[0]!.contents;
  const hash = createHash('sha256').update(code).digest('hex').slice(0, 16);
  const dir = join(projectRoot(source), 'node_modules', '.cache', 'profile-visitors');
  const file = join(dir, `${source.replace(/^.*[\\/]/, '').replace(/\.ts$/, '')}-${hash}.mjs`);
  if (!existsSync(file)) {
    mkdirSync(dir, { recursive: true });
    const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    writeFileSync(tmp, code);
    renameSync(tmp, file);
  }
  return pathToFileURL(file);
}

function projectRoot(from: string): string {
  let dir = dirname(from);
  while (!existsSync(join(dir, 'package.json'))) {
    const up = resolve(dir, '..');
    if (up === dir) return dirname(from);
    dir = up;
  }
  return dir;
}
