/** Command-line arguments of `npm run bench`, validated once. */
export type Scale = 'small' | 'full';
export type StoreName = 'sqlite' | 'postgres';

export interface BenchArgs {
  scale: Scale;
  store: StoreName;
  seed: number;
  /** Measured seconds per scenario (after the warm-up). */
  duration: number;
  /** Measured seconds of the `sustained` scenario: 60 at full scale, the usual duration otherwise. */
  sustainedDuration: number;
  /** Warm-up seconds per scenario, not measured. */
  warmup: number;
  connections: number;
  /** A very short run for CI: tiny durations, still every scenario. */
  smoke: boolean;
  /** Rebuild the dataset even when a matching one exists. */
  rebuild: boolean;
  /** Only build (or check) the dataset, run no load. */
  buildOnly: boolean;
  /** Do not write bench/results nor docs/benchmarks.md. */
  noWrite: boolean;
  /** Only the scenarios whose id contains one of these (all when empty). */
  only: string[];
  /** PostgreSQL URL for --store postgres (BENCH_DATABASE_URL). */
  databaseUrl: string | undefined;
}

const USAGE = `usage: npm run bench -- [--scale small|full] [--store sqlite|postgres] [--duration S] [--warmup S]
                      [--connections N] [--seed N] [--smoke] [--rebuild] [--build-only] [--no-write]
                      [--only id,id] [--database-url postgres://...] [--sustained S]`;

export class ArgsError extends Error {
  override name = 'ArgsError';
}

export function parseArgs(argv: readonly string[], env: Record<string, string | undefined> = process.env): BenchArgs {
  const raw = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--help' || a === '-h') throw new ArgsError(USAGE);
    if (!a.startsWith('--')) throw new ArgsError(`unexpected argument ${a}\n${USAGE}`);
    const eq = a.indexOf('=');
    if (eq > 0) raw.set(a.slice(2, eq), a.slice(eq + 1));
    else {
      const next = argv[i + 1];
      if (next !== undefined && !next.startsWith('--')) {
        raw.set(a.slice(2), next);
        i++;
      } else raw.set(a.slice(2), true);
    }
  }
  const known = ['scale', 'store', 'seed', 'duration', 'warmup', 'connections', 'smoke', 'rebuild', 'build-only', 'no-write', 'only', 'database-url', 'sustained'];
  for (const k of raw.keys()) if (!known.includes(k)) throw new ArgsError(`unknown option --${k}\n${USAGE}`);

  const str = (k: string): string | undefined => {
    const v = raw.get(k);
    if (v === true) throw new ArgsError(`--${k} needs a value`);
    return v;
  };
  const num = (k: string, min: number, max: number): number | undefined => {
    const v = str(k);
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isFinite(n) || n < min || n > max) throw new ArgsError(`--${k} must be a number from ${min} to ${max}, got "${v}"`);
    return n;
  };
  const flag = (k: string) => {
    const v = raw.get(k);
    if (v !== undefined && v !== true) throw new ArgsError(`--${k} takes no value`);
    return v === true;
  };

  const scale = (str('scale') ?? 'small') as Scale;
  if (scale !== 'small' && scale !== 'full') throw new ArgsError(`--scale must be small or full\n${USAGE}`);
  const store = (str('store') ?? 'sqlite') as StoreName;
  if (store !== 'sqlite' && store !== 'postgres') throw new ArgsError(`--store must be sqlite or postgres\n${USAGE}`);
  const smoke = flag('smoke');
  const duration = num('duration', 0.5, 3600) ?? (smoke ? 1 : scale === 'full' ? 10 : 3);
  const sustainedDuration = num('sustained', 0.5, 3600) ?? (scale === 'full' && !smoke ? 60 : duration);
  const warmup = num('warmup', 0, 600) ?? (smoke ? 0.5 : scale === 'full' ? 3 : 1);
  const seed = num('seed', 0, 2 ** 31 - 1) ?? 42;
  if (!Number.isInteger(seed)) throw new ArgsError('--seed must be an integer');
  const connections = num('connections', 1, 1000) ?? 50;
  return {
    scale,
    store,
    seed,
    duration,
    sustainedDuration,
    warmup,
    connections: Math.round(connections),
    smoke,
    rebuild: flag('rebuild'),
    buildOnly: flag('build-only'),
    noWrite: flag('no-write'),
    only: (str('only') ?? '').split(',').map((s) => s.trim()).filter(Boolean),
    databaseUrl: str('database-url') ?? env.BENCH_DATABASE_URL,
  };
}
