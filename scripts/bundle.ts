/**
 * Bundles the `profile-visitors` command into `dist/bin/` with esbuild: the file that `bin`,
 * `npm start` and the benchmark run. Unbundled, Node's ESM loader resolves, reads and compiles
 * each of the 700 modules the server needs one by one (TypeBox alone is 370): on the bench's
 * full dataset that was about 60% of the start to listening. Bundled, that start went from 750
 * to 850 ms to 475 to 540 ms on a slow host (docs/benchmarks.md, reads item 11).
 *
 * Left outside the bundle: packages that find files beside their own code at run time (the
 * native SQLite addon, pino's transport workers), and those loaded only on demand (PostgreSQL's
 * driver, faker for `demo`), whose importers stay in chunks of their own and cost nothing until
 * used. The OpenAPI plugins are inside since stop 19 (resolving and reading their few hundred
 * files was 25 to 60 ms of the start, median of 8 and 12 alternating starts on the full bench
 * file); swagger-ui's assets are found through the plugin below.
 */
import { build, type Plugin } from 'esbuild';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root, from scripts/ (tsx) or dist/scripts/ (compiled). */
const ROOT = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) dir = resolve(dir, '..');
  return dir;
})();

export const BUNDLE_DIR = join(ROOT, 'dist', 'bin');

const EXTERNAL = ['better-sqlite3', 'pg', 'pg-native', 'pino', 'thread-stream', '@faker-js/faker'];

/**
 * swagger-ui finds its assets (the UI's files, its logo) beside its own code through
 * `__dirname`, which an ES module bundle does not have: each use becomes that folder, resolved
 * when the module loads (so the bundle still works wherever the repository is moved).
 */
const swaggerUiDirname: Plugin = {
  name: 'swagger-ui-dirname',
  setup(b) {
    b.onLoad({ filter: /[\\/]@fastify[\\/]swagger-ui[\\/](index|lib[\\/]routes)\.js$/ }, (args) => {
      const here = args.path.endsWith('index.js') ? '' : '/lib';
      const dir = `(require('node:path').dirname(require.resolve('@fastify/swagger-ui')) + ${JSON.stringify(here)})`;
      return { contents: readFileSync(args.path, 'utf8').replaceAll('__dirname', dir), loader: 'js', resolveDir: dirname(args.path) };
    });
  },
};

/** Builds `<outdir>/profile-visitors.mjs` and its on-demand chunks from the TypeScript sources; returns the entry's path. */
export async function bundle(outdir: string = BUNDLE_DIR): Promise<string> {
  // Chunk names carry a content hash: without this, every rebuild would leave the last one's behind.
  rmSync(outdir, { recursive: true, force: true });
  await build({
    // The worker threads' modules are entries of their own, found beside the bundle by
    // src/storage/sqlite/worker-script.ts.
    entryPoints: {
      'profile-visitors': join(ROOT, 'src', 'cli', 'main.ts'),
      'fold-worker': join(ROOT, 'src', 'storage', 'sqlite', 'fold-worker.ts'),
      'checkpoint-worker': join(ROOT, 'src', 'storage', 'sqlite', 'checkpoint-worker.ts'),
    },
    outdir,
    bundle: true,
    splitting: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    outExtension: { '.js': '.mjs' },
    external: EXTERNAL,
    plugins: [swaggerUiDirname],
    // Names stay as written (an error's class name, a plugin's function name), even where two
    // modules used the same one.
    keepNames: true,
    // CommonJS dependencies call require() for Node's own modules; an ES module has none.
    banner: { js: "import { createRequire as __pvCreateRequire } from 'node:module'; const require = __pvCreateRequire(import.meta.url);" },
    sourcemap: 'linked',
    logLevel: 'warning',
  });
  return join(outdir, 'profile-visitors.mjs');
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await bundle(process.argv[2]);
