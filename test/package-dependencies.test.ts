/**
 * Every dependency in package.json is imported by the code it is declared for: a package
 * nothing imports is removed, not kept "just in case" (it is installed, audited and updated for
 * nothing). Type packages are checked through the package they type; tools run by name from
 * package.json's scripts are named below with the script that runs them.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');
const FOLDERS = ['src', 'bench', 'scripts', 'test', 'packages/client/src'];
/** Run by the scripts in package.json rather than imported. */
const RUN_BY_SCRIPTS: Record<string, string> = {
  typescript: 'tsc (typecheck, build)',
  tsx: 'node --import tsx (client:generate)',
};

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (name === 'node_modules' || name === 'dist') return [];
    if (statSync(path).isDirectory()) return sources(path);
    return /\.(ts|mts|mjs|js|cjs)$/.test(name) ? [path] : [];
  });
}

/** Package names that the code imports (`from 'x'`, `import('x')`, `require.resolve('x/...')`). */
function importedPackages(): Set<string> {
  const found = new Set<string>();
  const files = [...FOLDERS.flatMap((f) => sources(join(ROOT, f))), join(ROOT, 'vitest.config.ts')];
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:from\s+|import\s*\(\s*|require(?:\.resolve)?\s*\(\s*)['"]([^'"./][^'"]*)['"]/g)) {
      const spec = m[1]!;
      if (spec.startsWith('node:')) continue;
      found.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);
    }
  }
  return found;
}

describe('package.json', () => {
  it('declares no dependency that nothing imports', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
    const imported = importedPackages();
    const unused = Object.keys({ ...pkg.dependencies, ...pkg.devDependencies }).filter((name) => {
      if (name in RUN_BY_SCRIPTS) return false;
      const typed = /^@types\/(.+)$/.exec(name)?.[1];
      // @types/node types the node: modules every file uses.
      if (typed) return typed !== 'node' && !imported.has(typed.includes('__') ? `@${typed.replace('__', '/')}` : typed);
      return !imported.has(name);
    });
    expect(unused, 'remove these with npm uninstall').toEqual([]);
  });
});
