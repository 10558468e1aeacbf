/**
 * member.created / member.updated / member.erased, ids only. Every write of a profile goes
 * through the store's member methods (the native API, the compatible APIs, inline profiles
 * sent with visits), so wrapping them catches them all, and answers only once the event is in
 * the outbox: an acknowledged change is delivered even if the process dies right after.
 */
import type { MemberStore, Store } from '../core/index.js';
import type { WebhookService } from './service.js';

export function withMemberEvents(store: Store, service: WebhookService): Store {
  const members = store.members;
  const wrapped: MemberStore = {
    get: (ws, id) => members.get(ws, id),
    getMany: (ws, ids) => members.getMany(ws, ids),
    existingIds: (ws, ids) => members.existingIds(ws, ids),
    countByVisibility: (ws, ids) => members.countByVisibility(ws, ids),
    async upsert(ws, inputs, mode, now) {
      // One read when nobody listens (recording with inline profiles comes through here).
      const endpoints = (await service.list(ws)).filter((e) => e.events.some((ev) => ev === '*' || ev === 'member.created' || ev === 'member.updated'));
      if (endpoints.length === 0) return members.upsert(ws, inputs, mode, now);
      const existed = await members.existingIds(ws, inputs.map((m) => m.id));
      const out = await members.upsert(ws, inputs, mode, now);
      const created = out.filter((m) => !existed.has(m.id));
      const updated = out.filter((m) => existed.has(m.id));
      await service.publish(ws, 'member.created', created.map((m) => ({ data: { memberId: m.id }, occurredAt: now })), endpoints);
      await service.publish(ws, 'member.updated', updated.map((m) => ({ data: { memberId: m.id }, occurredAt: now })), endpoints);
      return out;
    },
    async erase(ws, id, now) {
      const erased = await members.erase(ws, id, now);
      if (erased) {
        await service.forgetMember(ws, id);
        await service.publish(ws, 'member.erased', [{ data: { memberId: id }, occurredAt: now }]);
      }
      return erased;
    },
  };
  return { ...store, members: wrapped };
}
