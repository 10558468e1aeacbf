/**
 * One store made of two (docs/architecture.md, "Two stores"): the entity store of one backend
 * and the visit store of another, or of the same one. What the two halves share when they are
 * one database, and must not assume when they are two:
 * - a visit store that reads viewers' member cards with a visitor page (PostgreSQL joins them)
 *   would read them from its own database, where the members are not: the cards are left out,
 *   and the core asks the entity store for them (`ViewerRows.viewers` is optional for this);
 * - erasing a member must reach their visits too: the entity side erases the member, then the
 *   visit side erases their visits, summaries and log entries (two transactions, not one);
 * - the retention purge walks the workspaces the entity store knows (`workspaces.ids`) and
 *   purges in the visit store;
 * - insights' distinct viewers of a range carry the viewers' current traits, read from the
 *   entity store; the workspace's viewers come back as ids, which the core has the entity store
 *   count by visibility (use-cases/insights.ts), as it does on one database.
 * Left for later: the webhook and audit tables stay with the entity store.
 */
import type { EntityStore, InsightsStore, Store, VisitDataStore, VisitStore } from '../core/index.js';

/** The entity half of a store, as its own object. */
export function entityStoreOf(s: Store): EntityStore {
  return { workspaces: s.workspaces, members: s.members, connections: s.connections, keys: s.keys, blocks: s.blocks, audit: s.audit, directory: s.directory, memberChanges: s.memberChanges };
}

/** The visit half of a store, as its own object. */
export function visitStoreOf(s: Store): VisitDataStore {
  return { visits: s.visits, visitLog: s.visitLog, projections: s.projections, insights: s.insights, retention: s.retention };
}

/**
 * `entities`' entity store with `visits`' visit store. The same store twice is that store.
 * Closing the result closes both.
 */
export function composeStores(entities: Store, visits: Store): Store {
  if (entities === visits) return entities;
  const v = visits.visits;
  const readVisits: VisitStore = {
    record: (ws, list, windowMs) => v.record(ws, list, windowMs),
    listViewers: async (q) => {
      const { total, rows } = await v.listViewers(q);
      return { total, rows };
    },
    // As for lists: the page's member cards come from the entity store, not the visit side.
    viewersAfter: async (q) => ({ rows: (await v.viewersAfter(q)).rows }),
    viewsOfPair: (ws, profile, viewer, since) => v.viewsOfPair(ws, profile, viewer, since),
    byClientIds: (ws, ids) => v.byClientIds(ws, ids),
    viewedBy: (ws, viewer, after, limit) => v.viewedBy(ws, viewer, after, limit),
    eraseMember: (ws, id) => v.eraseMember(ws, id),
  };
  const members = entities.members;
  const ins = visits.insights;
  const insights: InsightsStore = {
    // The projection's version is the visit side's; the cards, connections and blocks live on the
    // entity side, whose changes the visit side's token cannot see: breakdowns are computed anew.
    async versions(ws, profile) {
      const v = await ins.versions(ws, profile);
      return v && { projection: v.projection, directory: null };
    },
    profileViews: (ws, profile, boundaries, viewerIds) => ins.profileViews(ws, profile, boundaries, viewerIds),
    distinctViewers: (ws, profile, from, to, excluded) => ins.distinctViewers(ws, profile, from, to, excluded),
    async rangeViewers(ws, profile, from, to, excluded) {
      const found = await ins.rangeViewers(ws, profile, from, to, excluded);
      const cards = await members.getMany(ws, found.map((r) => r.viewerId));
      return found.map((r) => {
        const m = cards.get(r.viewerId);
        return { ...r, viewer: m && { visibility: m.visibility, company: m.company, title: m.title, industry: m.industry, location: m.location } };
      });
    },
    workspaceViews: (ws, from, to) => ins.workspaceViews(ws, from, to),
    workspaceViewers: (ws, boundaries) => ins.workspaceViewers(ws, boundaries),
    topProfiles: (ws, from, to, limit) => ins.topProfiles(ws, from, to, limit),
  };
  return {
    // The entity side's own fields first (a SQLite store's write API, for webhooks).
    ...entities,
    ...visitStoreOf(visits),
    kind: entities.kind,
    visits: readVisits,
    insights,
    members: {
      get: (ws, id) => members.get(ws, id),
      getMany: (ws, ids) => members.getMany(ws, ids),
      existingIds: (ws, ids) => members.existingIds(ws, ids),
      countByVisibility: (ws, ids) => members.countByVisibility(ws, ids),
      upsert: (ws, inputs, mode, now) => members.upsert(ws, inputs, mode, now),
      async erase(ws, id, now) {
        const existed = await members.erase(ws, id, now);
        // Then what the visit store holds of them: visits as owner and viewer, summaries, log
        // entries, insights. Whether or not the member was still there: an erase repeated after
        // a crash between the two transactions finishes the job.
        await v.eraseMember(ws, id);
        return existed;
      },
    },
    beginRequest() {
      entities.beginRequest?.();
      visits.beginRequest?.();
    },
    stats: () => ({ ...visits.stats?.(), ...entities.stats?.() }),
    async close() {
      await visits.close();
      await entities.close();
    },
  };
}
