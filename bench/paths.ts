/** Where the bench lives, whether run from bench/ (tsx) or dist/bench/ (compiled). */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';

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
export const SERVER_MAIN = join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js');
export const BASELINE_MAIN = join(REPO_ROOT, 'dist', 'bench', 'baseline-server.js');
