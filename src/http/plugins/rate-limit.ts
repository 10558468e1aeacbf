/**
 * Per-key rate limits with @fastify/rate-limit. Each API key has its own bucket (requests
 * without a key are bucketed by address). The 429 is thrown as an `AppError`, so every dialect's
 * error presenter renders it in that API's own shape; the plugin adds the X-RateLimit-* and
 * Retry-After headers. Buckets live in this process: behind a load balancer each instance
 * counts its own share.
 */
import fp from 'fastify-plugin';
import rateLimit from '@fastify/rate-limit';
import { AppError } from '../../core/index.js';
import { fromEither } from './auth.js';

export interface RateLimitOptions {
  max: number;
  timeWindowMs: number;
}

export const rateLimitPlugin = fp<RateLimitOptions>(
  async (app, opts) => {
    await app.register(rateLimit, {
      global: true,
      max: opts.max,
      timeWindow: opts.timeWindowMs,
      cache: 100_000,
      keyGenerator: (request) => {
        const secret = fromEither(request);
        // The secret itself (this bucket store lives in this process's memory only): hashing it
        // here again was a measurable share of a cached list request.
        return secret ? `key:${secret}` : `ip:${request.ip}`;
      },
      allowList: (request) => request.url === '/healthz' || request.url.startsWith('/docs') || request.url === '/openapi.json',
      errorResponseBuilder: (_request, context) =>
        Object.assign(new AppError('rate_limited', `rate limit exceeded (${context.max} requests per window); retry in ${context.after}`), {
          statusCode: 429,
        }),
    });
  },
  { name: 'rate-limit' },
);
