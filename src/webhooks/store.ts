/**
 * What webhooks need from the database. Both backends (sqlite-store.ts, postgres-store.ts)
 * implement it on the main store's own connection; every method is keyed by workspace except
 * the worker's claim, which serves all workspaces.
 */
import type { MemberChange, VisitLogEntry, VisitLogHead } from '../core/index.js';
import type { MessageStatus, NewMessage, WebhookAttempt, WebhookEndpoint, WebhookMessage } from './types.js';

export interface EndpointPatch {
  url?: string;
  events?: string[];
  description?: string | null;
  enabled?: boolean;
}

export interface AttemptOutcome {
  attempt: WebhookAttempt;
  /** The message's state after the attempt. */
  status: MessageStatus;
  step: number;
  nextAttemptAt: number | null;
  /** Set when the endpoint is to be disabled by this attempt (410, or failing for too long). */
  disable: { reason: string } | null;
  /** Whether the attempt succeeded (clears the endpoint's failing run) or failed (starts one). */
  succeeded: boolean;
}

export interface RecordedAttempt {
  message: WebhookMessage;
  outcome: AttemptOutcome;
  /** When the attempt ended (the endpoint's disabling time, if it disables it). */
  now: number;
}

export interface MessageQuery {
  workspaceId: string;
  endpointId: string;
  status?: MessageStatus;
  since?: number;
  limit: number;
}

export interface WebhookStore {
  createEndpoint(e: WebhookEndpoint): Promise<void>;
  getEndpoint(workspaceId: string, id: string): Promise<WebhookEndpoint | undefined>;
  listEndpoints(workspaceId: string): Promise<WebhookEndpoint[]>;
  /** Enabled endpoints of the workspace (for fan-out). */
  enabledEndpoints(workspaceId: string): Promise<WebhookEndpoint[]>;
  updateEndpoint(workspaceId: string, id: string, patch: EndpointPatch, now: number): Promise<WebhookEndpoint | undefined>;
  rotateSecret(workspaceId: string, id: string, secret: string, previousUntil: number, now: number): Promise<WebhookEndpoint | undefined>;
  /** Deletes the endpoint with its messages and attempts. */
  deleteEndpoint(workspaceId: string, id: string): Promise<boolean>;

  /** The outbox projection's checkpoint: the last log position of the workspace turned into messages. */
  outboxCheckpoint(workspaceId: string): Promise<number>;
  /**
   * The outbox as a projection of the visit log: in ONE transaction, the messages `toMessages`
   * makes of the entries above the checkpoint, for the workspace's endpoints subscribed to
   * `event`, and the checkpoint moved to the last entry. A crash leaves both or neither.
   */
  applyLog(
    workspaceId: string,
    entries: readonly VisitLogEntry[],
    event: string,
    toMessages: (endpoints: readonly WebhookEndpoint[], fresh: readonly VisitLogEntry[]) => (NewMessage & { id: string })[],
    now: number,
  ): Promise<number>;
  /** Moves every outbox checkpoint to the log's heads: a rebuild must not send the past again. */
  skipTo(heads: readonly VisitLogHead[]): Promise<void>;

  /** The member events' checkpoints: per workspace, the last member-change position turned into messages. */
  memberEventCheckpoints(): Promise<Map<string, number>>;
  memberEventCheckpoint(workspaceId: string): Promise<number>;
  /**
   * The outbox as a projection of the member-change log (member-events.ts): in ONE transaction,
   * for the changes above the checkpoint, the profile.visited messages naming an erased member
   * (as owner or viewer) emptied of their payload and cancelled, the messages `toMessages` makes of them for the workspace's
   * endpoints written, and the checkpoint moved to the last change. Returns the messages written.
   */
  applyMemberChanges(
    workspaceId: string,
    changes: readonly MemberChange[],
    toMessages: (endpoints: readonly WebhookEndpoint[], fresh: readonly MemberChange[]) => (NewMessage & { id: string })[],
    now: number,
  ): Promise<number>;


  /** Writes messages to the outbox, due at `now`. */
  enqueue(messages: readonly (NewMessage & { id: string })[], now: number): Promise<void>;

  /**
   * Endpoints (of any workspace) with a due message not leased by anyone, enabled, at most
   * `limit`, leaving out `busy` (endpoints this process has no free slot for). Asked per
   * endpoint through its due index, so the cost does not grow with a backlog (a disabled
   * endpoint's, or one falling behind).
   */
  dueEndpoints(now: number, busy: readonly string[], limit: number): Promise<string[]>;
  /**
   * Leases due messages to `owner` until `leaseUntil`: up to `limit` of each endpoint asked
   * for, in one write. A message leased by one process is invisible to every other until the
   * lease ends: this is what makes each attempt one process's.
   */
  claim(owner: string, now: number, leaseUntil: number, wants: readonly { endpointId: string; limit: number }[]): Promise<WebhookMessage[]>;
  /**
   * Records attempts and their messages' next states, releasing the leases, in ONE transaction
   * (the worker gathers the attempts that finished together: one commit for many messages).
   * For each, false (nothing written for it) when `owner` no longer holds its lease. The
   * endpoints' failing runs and disabling follow the attempts in the order given.
   */
  recordAttempts(owner: string, attempts: readonly RecordedAttempt[]): Promise<boolean[]>;
  /** Gives back leases held by `owner` on messages it did not attempt (a worker stopping): due again for anyone at once. */
  release(owner: string, ids: readonly string[]): Promise<void>;
  /** Marks a leased message cancelled (never sent), releasing the lease. */
  cancel(m: WebhookMessage, owner: string): Promise<boolean>;
  getEndpointsByIds(ids: readonly string[]): Promise<WebhookEndpoint[]>;

  listMessages(q: MessageQuery): Promise<WebhookMessage[]>;
  attemptsOf(messageIds: readonly string[]): Promise<WebhookAttempt[]>;
  getMessage(workspaceId: string, endpointId: string, id: string): Promise<WebhookMessage | undefined>;
  /**
   * Makes messages due again now, their schedule restarted (retry, replay): one by id, or every
   * message of the endpoint created in [since, until). Returns how many.
   */
  resend(workspaceId: string, endpointId: string, sel: { id: string } | { since: number; until: number }, now: number): Promise<number>;
}
