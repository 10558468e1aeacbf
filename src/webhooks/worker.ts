/**
 * The delivery worker, one per process. It leases due messages (store.claim), sends each once,
 * and records the attempt with the message's next state while still holding the lease: a
 * message is attempted by one process at a time, whatever the number of processes or
 * instances. A lease outlives the attempt's timeout by far, so it ends only when its process
 * died (or hung): then the message is due again for everyone, and another attempt is made:
 * delivery is at least once, and the unchanged `webhook-id` lets receivers deduplicate.
 *
 * Concurrency is bounded per endpoint and in total, per process: a slow or dead endpoint
 * holds at most its own slots, never another endpoint's, and never recording.
 *
 * Each endpoint has a lane: the messages claimed for it wait there for one of its slots, and
 * several rounds' worth is claimed ahead, so attempts go on while the next claim waits for
 * its turn at the database (on SQLite, behind a fold batch: 100-450 ms on a loaded host). A
 * slot is the endpoint's while its HTTP exchange lasts; writing the attempt down is ours, and
 * the endpoint does not wait for it. Claims and records are each one write at a time, taking
 * everything ready when their turn comes (docs/webhooks.md, "Measured").
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import type { AttemptOutcome, RecordedAttempt, WebhookStore } from './store.js';
import type { WebhookEndpoint, WebhookMessage } from './types.js';
import { envelope } from './envelope.js';
import { signedHeaders, signingSecrets } from './signing.js';
import { send } from './send.js';
import { DISABLE_AFTER_FAILING_MS, delayBefore, retryAfterMs, withJitter } from './schedule.js';

/**
 * Turns a message's recorded payload into the `data` sent, at delivery time. Returning
 * undefined cancels the message (for example: its subject was erased since).
 */
export type Renderer = (m: WebhookMessage) => Promise<unknown | undefined>;

export interface WorkerOptions {
  store: WebhookStore;
  clock: Clock;
  scheduleMs: readonly number[];
  timeoutMs: number;
  allowPrivateNetworks: boolean;
  /** Attempts in flight per endpoint in this process. */
  perEndpoint?: number;
  /** Messages leased by this process at once (queued in lanes, being sent, being recorded). */
  total?: number;
  /** How often the store is polled when nothing woke the worker. */
  pollMs?: number;
  renderers?: Partial<Record<string, Renderer>>;
  log?: { warn(obj: object, msg: string): void; error(obj: object, msg: string): void };
  /** For tests: jitter's random source. */
  random?: () => number;
}

/** How long a freed slot waits for others before claiming again. */
const CLAIM_COALESCE_MS = 5;
/** Messages a lane holds (queued and being sent), in rounds of `perEndpoint`, for an endpoint answering fast. */
const LANE_ROUNDS = 8;
/** An endpoint answering slower than this gets one round at a time: its queue would outlive the leases. */
const FAST_ANSWER_MS = 1_000;

/** One endpoint's messages in this process: claimed and waiting for a slot, and being sent. */
interface Lane {
  endpoint: WebhookEndpoint;
  queue: { m: WebhookMessage; claimedAt: number }[];
  sending: number;
  /** How long the endpoint's last answer took. */
  lastAnswerMs: number;
}

export class DeliveryWorker {
  readonly owner = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  private lanes = new Map<string, Lane>();
  /** Messages this process holds a lease on: queued, being sent, or being recorded. */
  private total = 0;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = 0;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private pending = new Set<Promise<void>>();
  /** Attempts finished and not yet written: written together, in one transaction (`record`). */
  private finished: { item: RecordedAttempt; resolve(held: boolean): void; reject(err: unknown): void }[] = [];
  private writing = false;
  /** The earliest retry this process scheduled: looked for then rather than at the next poll. */
  private soonest = Number.POSITIVE_INFINITY;
  private readonly perEndpoint: number;
  private readonly maxTotal: number;
  private readonly pollMs: number;
  private readonly leaseMs: number;

  constructor(private o: WorkerOptions) {
    this.perEndpoint = o.perEndpoint ?? 32;
    this.maxTotal = o.total ?? 2048;
    this.pollMs = o.pollMs ?? 500;
    // Far beyond one attempt: a lease ends early only if its process is gone.
    this.leaseMs = 2 * o.timeoutMs + 5_000;
  }

  start(): this {
    this.schedule(0);
    return this;
  }

  /** Something was enqueued or became due in this process: look now rather than at the next poll. */
  wake(): void {
    if (this.stopped) return;
    if (this.running) this.again = true;
    else this.schedule(0);
  }

  /** Stops claiming; hands back the messages not started; waits for attempts in flight to be recorded. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
    const unsent = [...this.lanes.values()].flatMap((l) => l.queue.splice(0));
    await this.giveBack(unsent.map((q) => q.m));
    await Promise.allSettled([...this.pending]);
  }

  /** Runs a tick in `ms`, unless one is already set to run sooner. */
  private schedule(ms: number) {
    const at = Date.now() + ms;
    if (this.timer !== undefined && this.timerAt <= at) return;
    clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.running = this.tick()
        .catch((err) => this.o.log?.error({ err }, 'webhook delivery: claiming failed'))
        .finally(() => {
          this.running = undefined;
          if (this.stopped) return;
          const more = this.again;
          this.again = false;
          const untilSoonest = this.soonest - this.o.clock.now();
          if (untilSoonest <= 0) this.soonest = Number.POSITIVE_INFINITY;
          this.schedule(more ? 0 : Math.max(0, Math.min(this.pollMs, untilSoonest)));
        });
    }, ms);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    if (this.stopped || this.total >= this.maxTotal) return;
    const now = this.o.clock.now();
    const room = (id: string) => {
      const l = this.lanes.get(id);
      const rounds = l && l.lastAnswerMs < FAST_ANSWER_MS ? LANE_ROUNDS : 1;
      return rounds * this.perEndpoint - (l ? l.queue.length + l.sending : 0);
    };
    const busy = [...this.lanes.keys()].filter((id) => room(id) <= 0);
    const due = await this.o.store.dueEndpoints(now, busy, 64);
    if (due.length === 0) return;
    const endpoints = new Map((await this.o.store.getEndpointsByIds(due)).map((e) => [e.id, e]));
    const wants: { endpointId: string; limit: number }[] = [];
    let left = this.maxTotal - this.total;
    for (const id of due) {
      const limit = Math.min(room(id), left);
      if (limit <= 0 || !endpoints.has(id)) continue;
      wants.push({ endpointId: id, limit });
      left -= limit;
    }
    const claimed = await this.o.store.claim(this.owner, now, now + this.leaseMs, wants);
    this.total += claimed.length;
    const touched = new Set<Lane>();
    for (const m of claimed) {
      const endpoint = endpoints.get(m.endpointId)!;
      let lane = this.lanes.get(endpoint.id);
      if (!lane) this.lanes.set(endpoint.id, (lane = { endpoint, queue: [], sending: 0, lastAnswerMs: Number.POSITIVE_INFINITY }));
      lane.endpoint = endpoint;
      lane.queue.push({ m, claimedAt: now });
      touched.add(lane);
    }
    for (const lane of touched) this.pump(lane);
    // A full batch may mean more is due: look again at once.
    this.again = true;
  }

  /**
   * Starts the lane's queued messages while it has free slots. A message is started only while
   * its lease outlasts any attempt (lease = claim + 2 timeouts + 5 s: started within one
   * timeout of the claim, the attempt and its record end before the lease does); one that
   * waited longer is handed back rather than risk a second process attempting it too.
   */
  private pump(lane: Lane) {
    const stale: WebhookMessage[] = [];
    const now = this.o.clock.now();
    while (!this.stopped && lane.sending < this.perEndpoint && lane.queue.length > 0) {
      const { m, claimedAt } = lane.queue.shift()!;
      if (now - claimedAt >= this.o.timeoutMs) stale.push(m);
      else this.launch(m, lane);
    }
    if (stale.length > 0) void this.giveBack(stale);
  }

  /** Releases leases on messages this process will not attempt: due again at once for anyone. */
  private async giveBack(messages: WebhookMessage[]) {
    if (messages.length === 0) return;
    this.total -= messages.length;
    await this.o.store.release(this.owner, messages.map((m) => m.id)).catch((err) => this.o.log?.error({ err }, 'webhook delivery: releasing leases failed'));
  }

  private launch(m: WebhookMessage, lane: Lane) {
    lane.sending++;
    let slotFreed = false;
    const freeSlot = () => {
      if (slotFreed) return;
      slotFreed = true;
      lane.sending--;
      this.pump(lane);
    };
    const started = performance.now();
    const p = this.attempt(m, lane.endpoint, () => {
      lane.lastAnswerMs = performance.now() - started;
      freeSlot();
    })
      .catch((err) => this.o.log?.error({ err, messageId: m.id }, 'webhook delivery: attempt failed to record'))
      .finally(() => {
        freeSlot();
        this.pending.delete(p);
        this.total--;
        if (lane.sending === 0 && lane.queue.length === 0 && this.lanes.get(lane.endpoint.id) === lane) this.lanes.delete(lane.endpoint.id);
        // Completions a few ms apart share one claim (one query and one write for many messages).
        if (!this.stopped) {
          if (this.running) this.again = true;
          else this.schedule(CLAIM_COALESCE_MS);
        }
      });
    this.pending.add(p);
  }

  /** One attempt; `sent` is called once the endpoint has answered (or failed to), before the attempt is written down. */
  private async attempt(m: WebhookMessage, endpoint: WebhookEndpoint, sent: () => void): Promise<void> {
    const render = this.o.renderers?.[m.event];
    const data = render ? await render(m) : JSON.parse(m.payload);
    if (data === undefined) {
      await this.o.store.cancel(m, this.owner);
      return;
    }
    const body = envelope(m.event, m.occurredAt, data);
    // Signed with the real time: receivers check webhook-timestamp against their clock.
    const sentAt = new Date();
    const headers = signedHeaders(m.id, sentAt, body, signingSecrets(endpoint, sentAt.getTime()));
    const attemptedAt = this.o.clock.now();
    const r = await send(endpoint.url, headers, body, { timeoutMs: this.o.timeoutMs, allowPrivateNetworks: this.o.allowPrivateNetworks });
    sent();
    const now = this.o.clock.now();
    const attempt = { messageId: m.id, n: m.attempts + 1, attemptedAt, statusCode: r.statusCode, error: r.error, durationMs: r.durationMs, responseBody: r.responseBody };
    const ok = r.statusCode !== null && r.statusCode >= 200 && r.statusCode < 300;
    if (ok) {
      await this.record(m, { attempt, status: 'delivered', step: m.step + 1, nextAttemptAt: null, disable: null, succeeded: true }, now);
      return;
    }
    let disable: { reason: string } | null = null;
    if (r.statusCode === 410) disable = { reason: 'the endpoint answered 410 Gone' };
    else if (endpoint.failingSince !== null && attemptedAt - endpoint.failingSince >= DISABLE_AFTER_FAILING_MS) {
      disable = { reason: `every attempt failed for 5 days (since ${new Date(endpoint.failingSince).toISOString()})` };
    }
    const step = m.step + 1;
    const delay = disable && r.statusCode === 410 ? null : delayBefore(this.o.scheduleMs, step);
    let nextAttemptAt: number | null = null;
    if (delay !== null) {
      let wait = withJitter(delay, this.o.random);
      if (r.statusCode === 429 || r.statusCode === 503) wait = Math.max(wait, retryAfterMs(r.retryAfter, now) ?? 0);
      nextAttemptAt = now + wait;
    }
    const recorded = await this.record(m, { attempt, status: nextAttemptAt === null ? 'failed' : 'pending', step, nextAttemptAt, disable, succeeded: false }, now);
    if (recorded && nextAttemptAt !== null && nextAttemptAt < this.soonest) {
      this.soonest = nextAttemptAt;
      if (!this.running && !this.stopped) this.schedule(Math.max(0, nextAttemptAt - now));
    }
    if (!recorded) this.o.log?.warn({ messageId: m.id }, 'webhook delivery: lease lost before the attempt was recorded');
    if (disable) this.o.log?.warn({ endpointId: endpoint.id, reason: disable.reason }, 'webhook endpoint disabled');
  }

  /**
   * Records an attempt while its lease is held. One write at a time: the attempts that finish
   * while one is being written (or waits for its turn at the database) all go in the next one,
   * in one transaction; one commit per round rather than one per message. The lease is
   * released by that write only, so a crash before it leaves the message due again (at least
   * once).
   */
  private record(message: WebhookMessage, outcome: AttemptOutcome, now: number): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.finished.push({ item: { message, outcome, now }, resolve, reject });
      if (!this.writing) {
        this.writing = true;
        setImmediate(() => void this.writeFinished());
      }
    });
  }

  private async writeFinished(): Promise<void> {
    while (this.finished.length > 0) {
      const batch = this.finished;
      this.finished = [];
      try {
        const held = await this.o.store.recordAttempts(
          this.owner,
          batch.map((b) => b.item),
        );
        batch.forEach((b, i) => b.resolve(held[i]!));
      } catch (err) {
        for (const b of batch) b.reject(err);
      }
    }
    this.writing = false;
  }
}
