/**
 * One delivery attempt: a POST with a hard timeout, redirects not followed (a 3xx is a
 * failure), the response body read up to a cap and its first 1 KB kept for the delivery log.
 * With the private-network guard on, the agent's lookup refuses forbidden names and the
 * socket's actual remote address is checked again on connect (ssrf.ts).
 */
import http from 'node:http';
import https from 'node:https';
import { isIP, type Socket } from 'node:net';
import { ForbiddenAddressError, guardedLookup, isForbiddenAddress } from './ssrf.js';

export interface SendOptions {
  timeoutMs: number;
  allowPrivateNetworks: boolean;
}

export interface SendResult {
  statusCode: number | null;
  error: string | null;
  durationMs: number;
  /** First 1 KB of the body (UTF-8, possibly cut mid-character). */
  responseBody: string | null;
  retryAfter: string | undefined;
}

/** The body read at most this far; the rest is dropped with the connection. */
const BODY_CAP_BYTES = 64 * 1024;
const KEPT_BYTES = 1024;

const guardedHttp = new http.Agent({ keepAlive: true, maxSockets: 64, lookup: guardedLookup as never });
const guardedHttps = new https.Agent({ keepAlive: true, maxSockets: 64, lookup: guardedLookup as never });
const openHttp = new http.Agent({ keepAlive: true, maxSockets: 64 });
const openHttps = new https.Agent({ keepAlive: true, maxSockets: 64 });

export function send(url: string, headers: Record<string, string>, body: string, opts: SendOptions): Promise<SendResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  return new Promise((resolve) => {
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const done = (r: Omit<SendResult, 'durationMs'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ ...r, durationMs: elapsed() });
    };
    const fail = (error: string) => done({ statusCode: null, error, responseBody: null, retryAfter: undefined });

    let target: URL;
    try {
      target = new URL(url);
    } catch {
      return fail('invalid URL');
    }
    if (target.protocol !== 'http:' && target.protocol !== 'https:') return fail('only http and https URLs are delivered to');
    const host = target.hostname.replace(/^\[|\]$/g, '');
    // An IP literal skips the agent's lookup: check it here.
    if (!opts.allowPrivateNetworks && isIP(host) && isForbiddenAddress(host)) return fail(new ForbiddenAddressError(host).message);

    const isHttps = target.protocol === 'https:';
    const agent = opts.allowPrivateNetworks ? (isHttps ? openHttps : openHttp) : isHttps ? guardedHttps : guardedHttp;
    const payload = Buffer.from(body);
    const req = (isHttps ? https : http).request(target, {
      method: 'POST',
      agent,
      headers: { ...headers, 'content-type': 'application/json', 'content-length': String(payload.length), 'user-agent': 'profile-visitors-webhooks/1' },
    });
    timer = setTimeout(() => {
      req.destroy(new Error(`timed out after ${opts.timeoutMs} ms`));
    }, opts.timeoutMs);

    if (!opts.allowPrivateNetworks) {
      const check = (socket: Socket) => {
        const addr = socket.remoteAddress;
        if (addr && isForbiddenAddress(addr)) req.destroy(new ForbiddenAddressError(addr));
      };
      req.on('socket', (socket: Socket) => {
        if (socket.remoteAddress) check(socket);
        else socket.once('connect', () => check(socket));
      });
    }
    req.on('error', (err) => fail(errorText(err)));
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      let capped = false;
      const finish = () => {
        const status = res.statusCode ?? 0;
        const kept = Buffer.concat(chunks).subarray(0, KEPT_BYTES).toString('utf8');
        const retryAfter = typeof res.headers['retry-after'] === 'string' ? res.headers['retry-after'] : undefined;
        const error = status >= 200 && status < 300 ? null : status >= 300 && status < 400 ? `redirect (${status}) not followed` : `HTTP ${status}`;
        done({ statusCode: status, error, responseBody: kept, retryAfter });
      };
      res.on('data', (chunk: Buffer) => {
        if (capped) return;
        size += chunk.length;
        if (size <= KEPT_BYTES || chunks.reduce((n, c) => n + c.length, 0) < KEPT_BYTES) chunks.push(chunk);
        if (size > BODY_CAP_BYTES) {
          // Enough read: the status is known, the rest of a huge body is not our business.
          capped = true;
          finish();
          res.destroy();
        }
      });
      res.on('end', finish);
      res.on('error', (err) => (settled ? undefined : fail(errorText(err))));
    });
    req.end(payload);
  });
}

function errorText(err: unknown): string {
  if (err instanceof ForbiddenAddressError) return err.message;
  const e = err as NodeJS.ErrnoException;
  if ((e as { code?: string }).code === 'EFORBIDDEN') return e.message;
  return e?.code ? `${e.code}: ${e.message}` : String(e?.message ?? err);
}
