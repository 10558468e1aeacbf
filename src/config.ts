/**
 * Configuration, read once at start-up from the environment (and CLI flags layered on top),
 * validated, then frozen. A bad value stops start-up with a message naming it.
 */
export interface Config {
  /** HOST: interface to listen on. */
  host: string;
  /** PORT: TCP port (0 picks a free one). */
  port: number;
  /** DATABASE_URL: a SQLite file path (or `sqlite:PATH`), or `postgres://user@host:port/db`. */
  databaseUrl: string;
  /** SQLITE_SYNCHRONOUS: `normal` survives a killed process; `full` also survives power loss. */
  sqliteSynchronous: 'normal' | 'full';
  /** LOG_LEVEL: pino level (fatal, error, warn, info, debug, trace, silent). */
  logLevel: string;
  /** BODY_LIMIT_BYTES: largest request body accepted (a 10,000-visit batch is about 2 MB). */
  bodyLimitBytes: number;
  /** RATE_LIMIT_MAX: requests allowed per key in each window. */
  rateLimitMax: number;
  /** RATE_LIMIT_WINDOW_MS: length of the rate-limit window. */
  rateLimitWindowMs: number;
  /** AUTH_CACHE_MS: how long a verified key is trusted before it is looked up again. */
  authCacheMs: number;
  /** PG_POOL_SIZE: connections per process to PostgreSQL. */
  pgPoolSize: number;
  /**
   * READ_CACHE_MB: memory per process for the SQLite store's read cache of member cards,
   * visitor pages and connection lists (0 turns it off). Kept exact by invalidation, never by
   * age; not used on PostgreSQL, whose instances do not see each other's writes.
   */
  readCacheMb: number;
  /**
   * WORKERS: server processes sharing the port (1 = this process serves). More use more cores.
   * Without REDIS_URL each worker counts rate limits on its own (a keep-alive connection stays on
   * one worker, so splitting the limit would refuse a single client early): a key may make up to
   * WORKERS x RATE_LIMIT_MAX requests per window when spread over connections. With REDIS_URL
   * the count is shared and exact.
   */
  workers: number;
  /**
   * PURGE_INTERVAL_MS: how often a server process removes visits older than their workspace's
   * `retentionDays` (docs/privacy-controls.md, "Retention"); 0 leaves it to `profile-visitors purge`.
   */
  purgeIntervalMs: number;
  /**
   * WEBHOOK_ALLOW_PRIVATE_NETWORKS: deliver webhooks to loopback, private, link-local and
   * similar addresses. Off in production (a customer's URL must not reach our own network, see
   * docs/webhooks.md); tests and local development turn it on.
   */
  webhookAllowPrivateNetworks: boolean;
  /** WEBHOOK_TIMEOUT_MS: how long one delivery attempt may take. */
  webhookTimeoutMs: number;
  /**
   * WEBHOOK_RETRY_SCHEDULE_MS: comma-separated delays before each attempt (the first is the
   * initial attempt's). Empty means the standard schedule (docs/webhooks.md); tests shorten it.
   */
  webhookRetryScheduleMs: readonly number[] | null;
  /**
   * METRICS_PORT: serve `GET /metrics` on this port, without a key (for a scraper on a private
   * network). Unset: /metrics is on the API port and needs an admin key.
   */
  metricsPort: number | null;
  /**
   * REDIS_URL: count rate limits in Redis, shared by every worker and instance (exact across
   * them). Unset: each process counts on its own. If Redis is unreachable requests are served
   * (fail open) and the error is logged and counted in /metrics.
   */
  redisUrl: string | null;
  /**
   * PAGES_SECRET: signs member-page links and admin-console sessions (docs/pages.md), at least
   * 32 characters. Unset: a random one per start (per primary with WORKERS > 1), so links and
   * sessions end at a restart and other instances refuse them; set it for production.
   */
  pagesSecret: string | null;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Spec = {
  [K in keyof Config]: { env: string; default: Config[K]; parse: (raw: string, name: string) => Config[K] };
};

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function int(min: number, max: number) {
  return (raw: string, name: string): number => {
    const n = Number(raw);
    if (!/^-?\d+$/.test(raw.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new ConfigError(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
    }
    return n;
  };
}

function oneOf<T extends string>(values: readonly T[]) {
  return (raw: string, name: string): T => {
    if (!values.includes(raw as T)) throw new ConfigError(`${name} must be one of ${values.join(', ')}, got "${raw}"`);
    return raw as T;
  };
}

function nonEmpty(raw: string, name: string): string {
  if (raw.trim() === '') throw new ConfigError(`${name} must not be empty`);
  return raw;
}

export const CONFIG_SPEC: Spec = {
  host: { env: 'HOST', default: '127.0.0.1', parse: nonEmpty },
  port: { env: 'PORT', default: 3000, parse: int(0, 65535) },
  databaseUrl: { env: 'DATABASE_URL', default: './data/profile-visitors.db', parse: databaseUrl },
  sqliteSynchronous: { env: 'SQLITE_SYNCHRONOUS', default: 'normal', parse: oneOf(['normal', 'full'] as const) },
  logLevel: { env: 'LOG_LEVEL', default: 'info', parse: oneOf(LOG_LEVELS) },
  bodyLimitBytes: { env: 'BODY_LIMIT_BYTES', default: 16 * 1024 * 1024, parse: int(1024, 256 * 1024 * 1024) },
  rateLimitMax: { env: 'RATE_LIMIT_MAX', default: 1_000_000, parse: int(1, Number.MAX_SAFE_INTEGER) },
  rateLimitWindowMs: { env: 'RATE_LIMIT_WINDOW_MS', default: 60_000, parse: int(1000, 86_400_000) },
  authCacheMs: { env: 'AUTH_CACHE_MS', default: 2_000, parse: int(0, 3_600_000) },
  pgPoolSize: { env: 'PG_POOL_SIZE', default: 10, parse: int(1, 1000) },
  readCacheMb: { env: 'READ_CACHE_MB', default: 48, parse: int(0, 65_536) },
  workers: { env: 'WORKERS', default: 1, parse: int(1, 64) },
  purgeIntervalMs: { env: 'PURGE_INTERVAL_MS', default: 3_600_000, parse: int(0, 7 * 86_400_000) },
  webhookAllowPrivateNetworks: { env: 'WEBHOOK_ALLOW_PRIVATE_NETWORKS', default: false, parse: bool },
  webhookTimeoutMs: { env: 'WEBHOOK_TIMEOUT_MS', default: 15_000, parse: int(100, 60_000) },
  webhookRetryScheduleMs: { env: 'WEBHOOK_RETRY_SCHEDULE_MS', default: null, parse: msList },
  metricsPort: { env: 'METRICS_PORT', default: null, parse: int(1, 65535) },
  redisUrl: { env: 'REDIS_URL', default: null, parse: redisUrl },
  pagesSecret: { env: 'PAGES_SECRET', default: null, parse: secret },
};

function bool(raw: string, name: string): boolean {
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0' || raw === '') return false;
  throw new ConfigError(`${name} must be true or false, got "${raw}"`);
}

function msList(raw: string, name: string): readonly number[] | null {
  if (raw.trim() === '') return null;
  const parts = raw.split(',').map((p) => p.trim());
  if (parts.length > 20 || parts.some((p) => !/^\d{1,9}$/.test(p))) {
    throw new ConfigError(`${name} must be up to 20 comma-separated delays in milliseconds, got "${raw}"`);
  }
  return Object.freeze(parts.map(Number));
}

function redisUrl(raw: string, name: string): string {
  if (!/^rediss?:\/\/[^\s]+$/i.test(raw.trim())) throw new ConfigError(`${name} must be a redis:// or rediss:// URL, got "${raw}"`);
  return raw.trim();
}

function secret(raw: string, name: string): string {
  if (raw.length < 32 || /\s/.test(raw)) throw new ConfigError(`${name} must be at least 32 characters without spaces`);
  return raw;
}

function databaseUrl(raw: string, name: string): string {
  const v = nonEmpty(raw, name);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(v) && !/^postgres(ql)?:\/\//i.test(v)) {
    throw new ConfigError(`${name} must be a SQLite file path or a postgres:// URL, got "${raw}"`);
  }
  return v;
}

/**
 * Builds the configuration from environment variables, then `overrides` (CLI flags, given as
 * strings exactly like env values so that they are validated the same way).
 */
export function loadConfig(
  env: Record<string, string | undefined> = process.env,
  overrides: Partial<Record<keyof Config, string | undefined>> = {},
): Readonly<Config> {
  const out = {} as Record<keyof Config, unknown>;
  for (const [field, spec] of Object.entries(CONFIG_SPEC) as [keyof Config, Spec[keyof Config]][]) {
    const flag = overrides[field];
    const raw = flag ?? env[spec.env];
    out[field] = raw === undefined ? spec.default : spec.parse(raw, flag !== undefined ? `--${kebab(field)}` : spec.env);
  }
  return Object.freeze(out as unknown as Config);
}

function kebab(s: string) {
  return s.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}
