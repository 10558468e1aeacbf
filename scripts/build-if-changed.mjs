#!/usr/bin/env node
/**
 * `npm run demo` and `npm start` build first; this skips the build (about half a minute on a
 * small machine) when nothing it reads changed since the last one: no source, script, client
 * source or configuration file is newer than the built command. Plain JavaScript, since it runs
 * before anything is compiled.
 */
import { execFileSync, execSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const OUTPUTS = ['dist/bin/profile-visitors.mjs', 'packages/client/dist/index.js'].map((p) => join(ROOT, p));
const INPUTS = ['src', 'scripts', 'bench', 'packages/client/src', 'package.json', 'package-lock.json', 'tsconfig.json', 'packages/client/package.json', 'packages/client/tsconfig.json'];

function newest(path) {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let max = 0;
  for (const entry of readdirSync(path)) max = Math.max(max, newest(join(path, entry)));
  return max;
}

/**
 * The input files git does not ignore (tracked, or new and not ignored), so that what a run
 * writes into an ignored folder (bench/data, bench/results/local) does not count as a change;
 * null outside a git checkout, where every file under INPUTS counts.
 */
function unignoredInputs() {
  try {
    const out = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard', '--', ...INPUTS], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return out.split('\0').filter(Boolean);
  } catch {
    return null;
  }
}

const built = Math.min(...OUTPUTS.map((p) => (existsSync(p) ? statSync(p).mtimeMs : 0)));
const files = unignoredInputs();
const changed = files ? files.reduce((max, f) => Math.max(max, newest(join(ROOT, f))), 0) : Math.max(...INPUTS.map((p) => newest(join(ROOT, p))));
if (built > 0 && changed <= built) {
  console.log('build is up to date (nothing changed since the last one)');
} else {
  execSync('npm run build --silent', { cwd: ROOT, stdio: 'inherit' });
}
