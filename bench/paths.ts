/** Where the bench lives, whether run from bench/ (tsx) or dist/bench/ (compiled). */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { existsSync, readFileSync } from 'node:fs';

const here = dirname(fileURLToPath(import.meta.url));

/** The repository root: the first parent holding package.json. */
export const REPO_ROOT = (() => {
  let dir = here;
  while (!existsSync(join(dir, 'package.json'))) {
    const up = resolve(dir, '..');
    if (up === dir) throw new Error('package.json not found above the bench');
    dir = up;
  }
  return dir;
})();

export const BENCH_ROOT = join(REPO_ROOT, 'bench');
/** The command users run (package.json's `bin`: the bundle built by scripts/bundle.ts). */
export const SERVER_MAIN = join(REPO_ROOT, (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string> }).bin['profile-visitors']!);
export const BASELINE_MAIN = join(REPO_ROOT, 'dist', 'bench', 'baseline-server.js');
