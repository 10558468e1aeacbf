/**
 * Builds the real app on a real store and listens on a real port, so tests speak HTTP exactly
 * as clients do. `close()` stops the server and closes the store.
 */
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/http/app.js';
import {
  createApiKey,
  ensureWorkspace,
  type Clock,
  type MemberInput,
  type Store,
  type Workspace,
} from '../../src/core/index.js';
import { openFreshStore, testStoreConfig, type TestBackend } from './backends.js';
import { openStore } from '../../src/storage/open-store.js';
import type { SqliteStore } from '../../src/storage/sqlite/sqlite-store.js';

export class TestClock implements Clock {
  constructor(public t = Date.UTC(2026, 10, 1, 12, 0, 0)) {}
  now() {
    return this.t;
  }
  advance(ms: number) {
    this.t += ms;
  }
}

export interface HttpResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

export interface TestApp {
  app: FastifyInstance;
  store: Store;
  clock: TestClock;
  url: string;
  databaseUrl: string;
  /** Sends a real HTTP request; `body` objects are sent as JSON, strings as-is. */
  request<T = any>(method: string, path: string, opts?: { headers?: Record<string, string>; body?: unknown }): Promise<HttpResponse<T>>;
  workspace(id: string): Promise<Workspace>;
  adminKey(workspaceId: string, credits?: number | null): Promise<string>;
  memberKey(workspaceId: string, memberId: string, credits?: number | null): Promise<string>;
  members(workspaceId: string, members: MemberInput[]): Promise<void>;
  close(): Promise<void>;
}

export interface TestAppOptions {
  clock?: TestClock;
  rateLimitMax?: number;
  rateLimitWindowMs?: number;
  bodyLimitBytes?: number;
  /** REDIS_URL: rate limits counted in Redis, shared with other apps given the same URL. */
  redisUrl?: string;
  /** Opens this existing database instead of a fresh one (a second server on one SQLite file, like another WORKERS process). */
  databaseUrl?: string;
  /** Webhook settings; `deliver` runs the delivery worker in the test's process. */
  /** Live feed settings (heartbeat interval, poll interval, queue bound). */
  feed?: { heartbeatMs?: number; pollMs?: number; maxQueue?: number };
  /** `memberEventsPollMs: null`: the member events never poll, so members written straight to the store (`members`) stay behind until the test advances them. */
  webhooks?: { deliver?: boolean; allowPrivateNetworks?: boolean; timeoutMs?: number; scheduleMs?: number[]; memberEventsPollMs?: number | null };
  /** PAGES_SECRET (docs/pages.md); absent: a random one, as when it is unset. */
  pagesSecret?: string;
  /** Serve this store (already open; closed with the app) instead of opening one. */
  store?: Store;
  /** The test writes the SQLite file around the store's write API on purpose; else `close` fails if anything did. */
  rawWrites?: boolean;
}

export async function startTestApp(backend: TestBackend, opts: TestAppOptions = {}): Promise<TestApp> {
  const { store, url: databaseUrl } = opts.store
    ? { store: opts.store, url: opts.databaseUrl ?? '' }
    : opts.databaseUrl ? { store: await openStore(testStoreConfig(opts.databaseUrl)), url: opts.databaseUrl } : await openFreshStore(backend);
  const clock = opts.clock ?? new TestClock();
  const app = await buildApp({
    config: {
      bodyLimitBytes: opts.bodyLimitBytes ?? 16 * 1024 * 1024,
      logLevel: 'silent',
      authCacheMs: 0,
      rateLimitMax: opts.rateLimitMax ?? 1_000_000,
      rateLimitWindowMs: opts.rateLimitWindowMs ?? 60_000,
      redisUrl: opts.redisUrl ?? null,
      pagesSecret: opts.pagesSecret ?? null,
    },
    store,
    clock,
    logger: false,
    deliverWebhooks: opts.webhooks?.deliver ?? false,
    feed: { pollMs: 20, ...opts.feed },
    memberEventsPollMs: opts.webhooks?.memberEventsPollMs,
    webhooks: {
      webhookAllowPrivateNetworks: opts.webhooks?.allowPrivateNetworks ?? true,
      webhookTimeoutMs: opts.webhooks?.timeoutMs ?? 15_000,
      webhookRetryScheduleMs: opts.webhooks?.scheduleMs ?? null,
    },
  });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  const deps = { store, clock };
  return {
    app,
    store,
    clock,
    url,
    databaseUrl,
    async request(method, path, o = {}) {
      const headers: Record<string, string> = { ...o.headers };
      let body: string | undefined;
      if (o.body !== undefined) {
        body = typeof o.body === 'string' ? o.body : JSON.stringify(o.body);
        if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
      }
      const res = await fetch(url + path, { method, headers, body });
      const text = await res.text();
      let parsed: unknown = undefined;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        parsed = undefined;
      }
      return { status: res.status, headers: res.headers, body: parsed as any, text };
    },
    workspace: (id) => ensureWorkspace(deps, id),
    async adminKey(workspaceId, credits = null) {
      const ws = await ensureWorkspace(deps, workspaceId);
      return (await createApiKey(deps, ws, { role: 'admin', credits })).secret;
    },
    async memberKey(workspaceId, memberId, credits = null) {
      const ws = await ensureWorkspace(deps, workspaceId);
      return (await createApiKey(deps, ws, { role: 'member', memberId, credits })).secret;
    },
    async members(workspaceId, members) {
      await ensureWorkspace(deps, workspaceId);
      await store.members.upsert(workspaceId, members, 'replace', clock.now());
    },
    async close() {
      // Every write route of every test on SQLite is thereby checked to go through the write
      // API (storage/sqlite/writes.ts, docs/sqlite-writes.md), which keeps the read cache exact.
      const bypasses = store.kind === 'sqlite' && !opts.rawWrites ? (store as SqliteStore).bypasses() : 0;
      await app.close();
      await store.close();
      if (bypasses > 0) throw new Error(`${bypasses} write(s) reached SQLite around the store's write API (storage/sqlite/writes.ts): the read cache could not know what they changed`);
    },
  };
}
