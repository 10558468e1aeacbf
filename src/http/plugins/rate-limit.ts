/**
 * Per-key rate limits with @fastify/rate-limit. Each API key has its own bucket (requests
 * without a key are bucketed by address). The 429 is thrown as an `AppError`, so every dialect's
 * error presenter renders it in that API's own shape; the plugin adds the X-RateLimit-* and
 * Retry-After headers.
 *
 * Where the buckets live: without REDIS_URL in this process's memory, so each worker and each
 * instance counts its own share (a key gets up to processes x RATE_LIMIT_MAX per window). With
 * REDIS_URL in Redis (the plugin's atomic Lua counter), shared and exact across every process.
 * If Redis is unreachable or slow, requests are served rather than refused (fail open: the
 * limit protects the service, losing it briefly is better than an outage); each error is counted
 * in /metrics (pv_rate_limit_store_errors_total) and logged at most every 10 seconds.
 */
import fp from 'fastify-plugin';
import rateLimit from '@fastify/rate-limit';
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { FastifyBaseLogger } from 'fastify';
import { AppError } from '../../core/index.js';
import { fromEither } from './auth.js';

export interface RateLimitOptions {
  max: number;
  timeWindowMs: number;
  /** Shared counting in Redis; absent: per process. */
  redisUrl?: string | null;
  /** Counts an error of the shared store (the metrics plugin's counter). */
  onStoreError?: () => void;
}

/** How long a rate-limit round trip to Redis may take before the request is served anyway. */
const REDIS_COMMAND_TIMEOUT_MS = 500;
const LOG_EVERY_MS = 10_000;

type Callback = (err: Error | null, result: unknown) => void;

/**
 * The Redis client as the rate-limit plugin sees it: its counting command (`rateLimit`, which
 * the plugin defines on the client) reports each error before passing it on; with skipOnError
 * the plugin then serves the request. Everything else goes to the client unchanged.
 */
function reportingErrors(redis: Redis, report: (err: Error) => void): Redis {
  return new Proxy(redis, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop, target);
      if (typeof value !== 'function') return value;
      if (prop !== 'rateLimit') return value.bind(target);
      return (...args: unknown[]) => {
        const cb = args.pop() as Callback;
        return value.call(target, ...args, (err: Error | null, result: unknown) => {
          if (err) report(err);
          cb(err, result);
        });
      };
    },
  });
}

export const rateLimitPlugin = fp<RateLimitOptions>(
  async (app, opts) => {
    const redis = opts.redisUrl ? await connectRedis(opts.redisUrl, app.log) : null;
    let lastLog = 0;
    let unlogged = 0;
    const report = (err: Error) => {
      opts.onStoreError?.();
      unlogged++;
      const now = Date.now();
      if (now - lastLog < LOG_EVERY_MS) return;
      app.log.error({ err: err.message, errors: unlogged }, 'rate-limit store (Redis) failed; requests are served without a shared limit until it answers again');
      lastLog = now;
      unlogged = 0;
    };
    if (redis) app.addHook('onClose', async () => void (await redis.quit().catch(() => redis.disconnect())));

    await app.register(rateLimit, {
      global: true,
      max: opts.max,
      timeWindow: opts.timeWindowMs,
      cache: 100_000,
      ...(redis
        ? {
            redis: reportingErrors(redis, report),
            nameSpace: 'pv-rate-limit:',
            skipOnError: true,
          }
        : {}),
      keyGenerator: (request) => {
        const secret = fromEither(request);
        if (!secret) return `ip:${request.ip}`;
        // In this process's memory the secret itself is the key (hashing it again was a measurable
        // share of a cached list request); in a shared Redis only its hash is stored.
        return redis ? `key:${createHash('sha256').update(secret).digest('base64url')}` : `key:${secret}`;
      },
      allowList: (request) =>
        request.url === '/healthz' || request.url.startsWith('/docs') || request.url === '/openapi.json' || request.url === '/metrics',
      errorResponseBuilder: (_request, context) =>
        Object.assign(new AppError('rate_limited', `rate limit exceeded (${context.max} requests per window); retry in ${context.after}`), {
          statusCode: 429,
        }),
    });
  },
  { name: 'rate-limit' },
);

/**
 * Connects with settings that never make a request wait on Redis: no offline queue (a command
 * while disconnected fails at once), one try per command, a short command timeout; ioredis keeps
 * reconnecting in the background. Start-up waits briefly for the first connection so that
 * counting is shared from the first request, and goes on without it otherwise.
 */
async function connectRedis(url: string, log: FastifyBaseLogger): Promise<Redis> {
  // Loaded only when configured: a server without REDIS_URL does not pay for the client at start-up.
  // ioredis is CommonJS: under tsx its class is the `Redis` export, in the esbuild bundle the default.
  const mod = await import('ioredis');
  const Redis = mod.Redis ?? (mod as unknown as { default: typeof mod.Redis }).default;
  const redis = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
    connectTimeout: 2000,
    lazyConnect: true,
    retryStrategy: (times) => Math.min(times * 200, 2000),
  });
  // Without a listener ioredis reports connection errors as unhandled; they are counted per request instead.
  redis.on('error', () => {});
  await redis.connect().catch((err: Error) => log.error({ err: err.message, redis: redactRedisUrl(url) }, 'Redis unreachable at start-up; rate limits are not enforced until it answers'));
  return redis;
}

function redactRedisUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}

