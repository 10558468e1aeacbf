/**
 * The webhooks feature, assembled: its tables on the main store's database, the service the
 * routes call, the projections that fill the outbox from the visit log (run by the projection
 * runner) and from the member-change log (run here), and (in a serving process) the delivery
 * worker.
 */
import type { Clock, Store } from '../core/index.js';
import { systemClock } from '../core/index.js';
import type { Config } from '../config.js';
import type { SqliteStore } from '../storage/sqlite/sqlite-store.js';
import type { PostgresStore } from '../storage/postgres/postgres-store.js';
import type { WebhookStore } from './store.js';
import { SqliteWebhookStore } from './sqlite-store.js';
import { PostgresWebhookStore } from './postgres-store.js';
import { WebhookService } from './service.js';
import { DeliveryWorker, type Renderer, type WorkerOptions } from './worker.js';
import { MemberEvents, withMemberEvents } from './member-events.js';
import { DEFAULT_SCHEDULE_MS } from './schedule.js';
import { OutboxProjection } from './outbox-projection.js';
import { visitNotification, type VisitLogEntry } from '../core/index.js';
import { presentVisit } from './present-visit.js';
import { countingAttempts } from './counted-attempts.js';
import type { MessageStatus } from './types.js';
export { presentVisit } from './present-visit.js';
export { LiveFeed } from './live-feed.js';

export { WebhookService } from './service.js';
export { DeliveryWorker } from './worker.js';
export * from './types.js';

export type WebhookConfig = Pick<Config, 'webhookAllowPrivateNetworks' | 'webhookTimeoutMs' | 'webhookRetryScheduleMs'>;

export const DEFAULT_WEBHOOK_CONFIG: Readonly<WebhookConfig> = Object.freeze({
  webhookAllowPrivateNetworks: false,
  webhookTimeoutMs: 15_000,
  webhookRetryScheduleMs: null,
});

export function webhookStoreFor(store: Store): WebhookStore {
  if (store.kind === 'sqlite') {
    const s = store as SqliteStore;
    return new SqliteWebhookStore(s.raw, s.writes);
  }
  return new PostgresWebhookStore((store as PostgresStore).db);
}

export interface Webhooks {
  service: WebhookService;
  /** The store whose member writes wake the member events' projection (member-events.ts). */
  store: Store;
  /** The member events' projection of the member-change log, running in this process. */
  memberEvents: MemberEvents;
  /** Present when this process delivers. */
  worker: DeliveryWorker | undefined;
  close(): Promise<void>;
}

export interface OpenWebhooksOptions {
  config: WebhookConfig;
  /** Run a delivery worker in this process. */
  deliver: boolean;
  /** Scheduling clock (the system's by default); signatures always use the real time. */
  clock?: Clock;
  /** The core's clock, for the reading rules applied at delivery (plan horizons). */
  coreClock?: Clock;
  log?: WorkerOptions['log'];
  renderers?: Partial<Record<string, Renderer>>;
  worker?: Partial<Pick<WorkerOptions, 'perEndpoint' | 'total' | 'pollMs' | 'random'>>;
  /** Told of each delivery attempt this process records, with the message's state after it (for /metrics). */
  onAttempt?: (result: MessageStatus) => void;
  /**
   * How often the member events poll the member-change log (MEMBER_EVENTS_POLL_MS by default).
   * null: never; only this process's own member writes advance them (tests that advance them
   * themselves, to see them behind).
   */
  memberEventsPollMs?: number | null;
}

export function openWebhooks(store: Store, opts: OpenWebhooksOptions): Webhooks {
  const clock = opts.clock ?? systemClock;
  const ws = webhookStoreFor(store);
  let worker: DeliveryWorker | undefined;
  // The outbox is fed by the projection runner from the visit log; one per store.
  if (!store.projections.some((p) => p.name === 'webhooks')) {
    store.projections.push(new OutboxProjection(ws, store.visitLog, clock, () => worker?.wake()));
  }
  const deps = { store, clock: opts.coreClock ?? systemClock };
  const renderVisit: Renderer = async (m) => {
    // Delivery is work outside a request that must see other processes' latest commits.
    store.beginRequest?.();
    const entry = JSON.parse(m.payload) as Partial<VisitLogEntry>;
    // A message whose payload was forgotten (its member erased) is never sent, replayed or not.
    if (!entry.profileId || !entry.viewerId) return undefined;
    const workspace = await store.workspaces.get(m.workspaceId);
    if (!workspace) return undefined;
    const n = await visitNotification(deps, workspace, entry as VisitLogEntry);
    return n ? presentVisit(n) : undefined;
  };
  const service = new WebhookService({
    store: ws,
    clock,
    allowPrivateNetworks: opts.config.webhookAllowPrivateNetworks,
    onEnqueued: () => worker?.wake(),
  });
  if (opts.deliver) {
    worker = new DeliveryWorker({
      store: opts.onAttempt ? countingAttempts(ws, opts.onAttempt) : ws,
      clock,
      scheduleMs: opts.config.webhookRetryScheduleMs ?? DEFAULT_SCHEDULE_MS,
      timeoutMs: opts.config.webhookTimeoutMs,
      allowPrivateNetworks: opts.config.webhookAllowPrivateNetworks,
      ...(opts.log ? { log: opts.log } : {}),
      renderers: { 'profile.visited': renderVisit, ...opts.renderers },
      ...opts.worker,
    }).start();
  }
  // Every process with the app turns member changes into messages (deliverer or not, as the
  // request that made a change used to); the checkpoint keeps them from doing it twice.
  const memberEvents = new MemberEvents({ store: ws, changes: store.memberChanges, clock, onWritten: () => worker?.wake(), ...(opts.log ? { log: opts.log } : {}) });
  if (opts.memberEventsPollMs !== null) memberEvents.start(opts.memberEventsPollMs);
  return {
    service,
    store: withMemberEvents(store, memberEvents, opts.log),
    memberEvents,
    worker,
    close: async () => {
      await memberEvents.stop();
      await worker?.stop();
    },
  };
}

