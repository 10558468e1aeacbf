/**
 * What the routes call: endpoints (create, list, change, rotate the secret, delete), the test
 * event, the delivery log, retry and replay. Events reach the outbox through its projections
 * (outbox-projection.ts, member-events.ts); delivery itself is the worker's (worker.ts).
 */
import { AppError } from '../core/errors.js';
import type { Clock } from '../core/clock.js';
import type { WebhookStore } from './store.js';
import type { MessageStatus, WebhookAttempt, WebhookEndpoint, WebhookMessage } from './types.js';
import { newId } from './ids.js';
import { newSigningSecret } from './signing.js';
import { isForbiddenAddress } from './ssrf.js';
import { isIP } from 'node:net';

/** After a rotation the old secret keeps signing this long, so receivers can switch without losing messages. */
export const ROTATION_OVERLAP_MS = 24 * 3_600_000;
const URL_MAX = 2048;

export interface EndpointInput {
  url: string;
  events: string[];
  description?: string | null;
}

export interface Delivery extends WebhookMessage {
  attemptList: WebhookAttempt[];
}

export interface WebhookServiceOptions {
  store: WebhookStore;
  clock: Clock;
  allowPrivateNetworks: boolean;
  /** Called after messages are written, so a worker in this process starts at once. */
  onEnqueued?: () => void;
}

export class WebhookService {
  constructor(private opts: WebhookServiceOptions) {}

  private get store() {
    return this.opts.store;
  }
  private now() {
    return this.opts.clock.now();
  }

  /** http or https only; a literal forbidden address is refused up front (names are checked at delivery, after DNS). */
  checkUrl(raw: string): string {
    let u: URL;
    try {
      u = new URL(raw);
    } catch {
      throw new AppError('invalid_input', 'url must be an absolute http or https URL', { field: 'url' });
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new AppError('invalid_input', 'url must use http or https', { field: 'url' });
    if (raw.length > URL_MAX) throw new AppError('invalid_input', `url must be at most ${URL_MAX} characters`, { field: 'url' });
    if (u.username || u.password) throw new AppError('invalid_input', 'url must not carry credentials', { field: 'url' });
    const host = u.hostname.replace(/^\[|\]$/g, '');
    if (!this.opts.allowPrivateNetworks && (host === 'localhost' || (isIP(host) && isForbiddenAddress(host)))) {
      throw new AppError('invalid_input', 'url points to a loopback, private, link-local, multicast or unspecified address', { field: 'url' });
    }
    return u.toString();
  }

  async create(workspaceId: string, input: EndpointInput): Promise<WebhookEndpoint> {
    const now = this.now();
    const e: WebhookEndpoint = {
      id: newId('ep'),
      workspaceId,
      url: this.checkUrl(input.url),
      description: input.description ?? null,
      events: [...new Set(input.events)],
      enabled: true,
      secret: newSigningSecret(),
      previousSecret: null,
      previousSecretUntil: null,
      failingSince: null,
      disabledAt: null,
      disabledReason: null,
      createdAt: now,
      updatedAt: now,
    };
    await this.store.createEndpoint(e);
    return e;
  }

  list(workspaceId: string) {
    return this.store.listEndpoints(workspaceId);
  }

  async get(workspaceId: string, id: string): Promise<WebhookEndpoint> {
    const e = await this.store.getEndpoint(workspaceId, id);
    if (!e) throw new AppError('not_found', `webhook endpoint ${id} not found`);
    return e;
  }

  async update(workspaceId: string, id: string, patch: { url?: string; events?: string[]; description?: string | null; enabled?: boolean }) {
    await this.get(workspaceId, id);
    const e = await this.store.updateEndpoint(
      workspaceId,
      id,
      { ...patch, ...(patch.url !== undefined ? { url: this.checkUrl(patch.url) } : {}), ...(patch.events ? { events: [...new Set(patch.events)] } : {}) },
      this.now(),
    );
    if (!e) throw new AppError('not_found', `webhook endpoint ${id} not found`);
    if (patch.enabled) this.opts.onEnqueued?.();
    return e;
  }

  async rotateSecret(workspaceId: string, id: string): Promise<WebhookEndpoint> {
    await this.get(workspaceId, id);
    const now = this.now();
    const e = await this.store.rotateSecret(workspaceId, id, newSigningSecret(), now + ROTATION_OVERLAP_MS, now);
    if (!e) throw new AppError('not_found', `webhook endpoint ${id} not found`);
    return e;
  }

  async remove(workspaceId: string, id: string): Promise<void> {
    if (!(await this.store.deleteEndpoint(workspaceId, id))) throw new AppError('not_found', `webhook endpoint ${id} not found`);
  }

  /** Sends a `webhook.test` event to this endpoint alone, whatever it subscribes to. */
  async test(workspaceId: string, id: string): Promise<WebhookMessage> {
    const e = await this.get(workspaceId, id);
    const now = this.now();
    const msgId = newId('msg');
    await this.store.enqueue(
      [{ id: msgId, workspaceId, endpointId: e.id, event: 'webhook.test', payload: JSON.stringify({ endpointId: e.id, message: 'This is a test event.' }), occurredAt: now }],
      now,
    );
    this.opts.onEnqueued?.();
    return (await this.store.getMessage(workspaceId, e.id, msgId))!;
  }

  async deliveries(workspaceId: string, id: string, q: { status?: MessageStatus; since?: number; limit: number }): Promise<Delivery[]> {
    await this.get(workspaceId, id);
    const messages = await this.store.listMessages({ workspaceId, endpointId: id, limit: q.limit, ...(q.status ? { status: q.status } : {}), ...(q.since !== undefined ? { since: q.since } : {}) });
    const attempts = await this.store.attemptsOf(messages.map((m) => m.id));
    const byMessage = new Map<string, WebhookAttempt[]>();
    for (const a of attempts) byMessage.set(a.messageId, [...(byMessage.get(a.messageId) ?? []), a]);
    return messages.map((m) => ({ ...m, attemptList: byMessage.get(m.id) ?? [] }));
  }

  async retry(workspaceId: string, id: string, messageId: string): Promise<WebhookMessage> {
    await this.get(workspaceId, id);
    const n = await this.store.resend(workspaceId, id, { id: messageId }, this.now());
    if (n === 0) throw new AppError('not_found', `message ${messageId} not found for endpoint ${id}`);
    this.opts.onEnqueued?.();
    return (await this.store.getMessage(workspaceId, id, messageId))!;
  }

  async replay(workspaceId: string, id: string, since: number, until: number): Promise<number> {
    if (until <= since) throw new AppError('invalid_input', 'until must be after since');
    await this.get(workspaceId, id);
    const n = await this.store.resend(workspaceId, id, { since, until }, this.now());
    this.opts.onEnqueued?.();
    return n;
  }
}
