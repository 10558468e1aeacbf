/**
 * The outbox as a projection of the visit log (docs/visit-log.md): each counted visit becomes
 * one `profile.visited` message per endpoint subscribed to it, written in the transaction that
 * moves the projection's checkpoint. A visit acknowledged is in the log; the log is turned into
 * messages exactly once whatever the crashes and the number of processes; a message is
 * delivered at least once. The message keeps the log entry, not a rendering: the viewer is
 * rendered at delivery time (visit-notification.ts in the core), so what an owner may see then,
 * not at the visit, is what is sent.
 *
 * A rebuild does not send the past again (that is what replay is for): `reset` moves the
 * checkpoints to the log's heads.
 */
import type { Projection, VisitLog, VisitLogEntry } from '../core/index.js';
import type { Clock } from '../core/clock.js';
import type { WebhookStore } from './store.js';
import { newId } from './ids.js';
import { OUTBOX_PROJECTION } from './outbox-name.js';

export class OutboxProjection implements Projection {
  readonly name = OUTBOX_PROJECTION;
  readonly drivenBy = 'runner' as const;

  constructor(
    private store: WebhookStore,
    private log: VisitLog,
    private clock: Clock,
    private onWritten: () => void,
  ) {}

  checkpoint(workspaceId: string) {
    return this.store.outboxCheckpoint(workspaceId);
  }

  async apply(workspaceId: string, entries: readonly VisitLogEntry[]) {
    const written = await this.store.applyLog(
      workspaceId,
      entries,
      'profile.visited',
      (endpoints, fresh) =>
        endpoints.flatMap((e) =>
          fresh.map((entry) => ({
            id: newId('msg'),
            workspaceId,
            endpointId: e.id,
            event: 'profile.visited' as const,
            payload: JSON.stringify(entry),
            occurredAt: entry.viewedAt,
          })),
        ),
      this.clock.now(),
    );
    if (written > 0) this.onWritten();
  }

  async reset() {
    await this.store.skipTo(await this.log.heads());
  }
}
