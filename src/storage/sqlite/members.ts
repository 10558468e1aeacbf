import { nextTurn, type Member, type MemberInput, type MemberStore, type UpsertMode, type Visibility } from '../../core/index.js';
import { MEMBER_COLUMNS, memberFromTuple, memberParams, type MemberTuple } from '../rows.js';
import type { SqliteDb } from './database.js';
import { keysetChunks } from './chunks.js';
import type { ReadCache } from './read-cache.js';
import type { SqliteWrites } from './writes.js';
import { VISIT_ERASE_SQL } from './erase-visits.js';
import type { NewMemberChange, SqliteMemberChanges } from './member-changes.js';

const INSERT = `INSERT INTO members (workspace_id, id, name, headline, title, image_url, company, industry, location, public_identifier, profile_url, plan, visibility, created_at, updated_at)
VALUES (@ws, @id, @name, @headline, @title, @image_url, @company, @industry, @location, @public_identifier, @profile_url, coalesce(@plan, 'free'), coalesce(@visibility, 'full'), @now, @now)
ON CONFLICT (workspace_id, id) DO UPDATE SET `;
const FIELDS = ['name', 'headline', 'title', 'image_url', 'company', 'industry', 'location', 'public_identifier', 'profile_url', 'plan', 'visibility'];
// A stored member is written only when a field changes (the WHERE): an upsert that changes
// nothing writes nothing, keeps `updated_at`, and logs no change (docs/webhooks.md).
const REPLACE =
  INSERT + FIELDS.map((f) => `${f} = excluded.${f}`).join(', ') + ', updated_at = @now WHERE ' + FIELDS.map((f) => `${f} IS NOT excluded.${f}`).join(' OR ');
const MERGE =
  INSERT + FIELDS.map((f) => `${f} = coalesce(@${f}, ${f})`).join(', ') + ', updated_at = @now WHERE ' + FIELDS.map((f) => `coalesce(@${f}, ${f}) IS NOT ${f}`).join(' OR ');

const SMALL_LOOKUP = 8;
/**
 * Ids per statement when counting viewers by visibility: each is a lookup at a random place in
 * the members' B-tree (about 2 µs at full scale), so a chunk is about 10 ms.
 */
const COUNT_CHUNK = 4_096;

export class SqliteMembers implements MemberStore {
  private one;
  private many;
  private exist;
  private existsOne;
  private visibilities;
  private replace;
  private merge;
  private claimHead;
  /** Statements of countByVisibility over many ids, prepared on first use (with their table). */
  private counting?: ReturnType<SqliteMembers['prepareCounting']>;
  /** Distinguishes concurrent counts in the table they share. */
  private countCalls = 0;

  constructor(
    private db: SqliteDb,
    private cache: ReadCache,
    private writes: SqliteWrites,
    private changes: SqliteMemberChanges,
  ) {
    this.one = db.prepare<[string, string], MemberTuple>(`SELECT ${MEMBER_COLUMNS} FROM members WHERE workspace_id = ? AND id = ?`).raw();
    this.many = db
      .prepare<[string, string], MemberTuple>(`SELECT ${MEMBER_COLUMNS} FROM members WHERE workspace_id = ? AND id IN (SELECT value FROM json_each(?))`)
      .raw();
    // A long list goes through members_ids too, in key order: 2,000 random ids of the bench's
    // million took 11 ms there against 21 ms through the primary key.
    this.exist = db.prepare<[string, string], { id: string }>(
      'SELECT id FROM members INDEXED BY members_ids WHERE workspace_id = ? AND id IN (SELECT value FROM json_each(?))',
    );
    this.existsOne = db.prepare<[string, string], string>('SELECT id FROM members INDEXED BY members_ids WHERE workspace_id = ? AND id = ?').pluck();
    // Counted in the statement, no card read into the process (nor into the read cache): the
    // workspace report asks about every viewer of its range, up to every member.
    this.visibilities = db
      .prepare<[string, string], [string, number]>(
        'SELECT visibility, count(*) FROM members WHERE workspace_id = ? AND id IN (SELECT value FROM json_each(?)) GROUP BY visibility',
      )
      .raw();
    this.replace = db.prepare(REPLACE);
    this.merge = db.prepare(MERGE);
    // A write that changes nothing once the row exists: an upsert's first statement, so that its
    // transaction holds the write lock before it reads (database.ts).
    this.claimHead = db.prepare<[string]>('INSERT INTO member_change_heads (workspace_id, position) VALUES (?, 0) ON CONFLICT DO NOTHING');
    const steps = [
      // What the visit store holds of them first (erase-visits.ts), in this transaction.
      ...VISIT_ERASE_SQL,
      // Connections are stored both ways: the reverse rows are found through the forward ones.
      'DELETE FROM connections WHERE workspace_id = @ws AND other_id = @id AND member_id IN (SELECT other_id FROM connections WHERE workspace_id = @ws AND member_id = @id)',
      'DELETE FROM connections WHERE workspace_id = @ws AND member_id = @id',
      'UPDATE api_keys SET revoked_at = @now WHERE workspace_id = @ws AND member_id = @id AND revoked_at IS NULL',
      // Their blocks, made and received: the pair's history is gone with them anyway.
      'DELETE FROM blocks WHERE workspace_id = @ws AND member_id = @id',
      'DELETE FROM blocks WHERE workspace_id = @ws AND blocked_id = @id',
    ].map((sql) => db.prepare(sql));
    const removeMember = db.prepare('DELETE FROM members WHERE workspace_id = @ws AND id = @id');
    this.eraseSteps = (p: { ws: string; id: string; now: number }) => {
      for (const step of steps) step.run(p);
      const removed = removeMember.run({ ws: p.ws, id: p.id }).changes > 0;
      if (removed) this.changes.append(p.ws, [{ kind: 'erased', memberId: p.id }], p.now);
      return removed;
    };
  }

  private eraseSteps;

  async erase(workspaceId: string, id: string, now: number): Promise<boolean> {
    // The member leaves other members' visitor pages and connection lists too.
    return this.writes.both('everything', () => this.eraseSteps({ ws: workspaceId, id, now }));
  }

  async get(workspaceId: string, id: string): Promise<Member | undefined> {
    const hit = this.cache.member(workspaceId, id);
    if (hit) return hit;
    const row = this.one.get(workspaceId, id);
    return row && this.cache.keepMember(workspaceId, memberFromTuple(row));
  }

  async getMany(workspaceId: string, ids: readonly string[]): Promise<Map<string, Member>> {
    const { found, missing } = this.cache.members(workspaceId, ids);
    if (missing.length === 0) return found;
    for (const row of this.many.all(workspaceId, JSON.stringify(missing))) {
      found.set(row[0], this.cache.keepMember(workspaceId, memberFromTuple(row)));
    }
    return found;
  }

  async existingIds(workspaceId: string, ids: readonly string[]): Promise<Set<string>> {
    const { found, missing } = this.cache.members(workspaceId, ids);
    const out = new Set(found.keys());
    // A single visit asks about two ids: one point lookup each is twice as fast as decoding a
    // JSON list for two; from about 20 ids on, the list is faster (measured on the bench file).
    if (missing.length <= SMALL_LOOKUP) {
      for (const id of missing) if (this.existsOne.get(workspaceId, id) !== undefined) out.add(id);
    } else for (const r of this.exist.all(workspaceId, JSON.stringify(missing))) out.add(r.id);
    return out;
  }

  async countByVisibility(workspaceId: string, ids: readonly string[]): Promise<Record<Visibility, number>> {
    const out: Record<Visibility, number> = { full: 0, characteristics: 0, private: 0 };
    if (ids.length === 0) return out;
    if (ids.length <= COUNT_CHUNK) {
      for (const [v, n] of this.visibilities.all(workspaceId, JSON.stringify(ids))) out[v as Visibility] += n;
      return out;
    }
    // Many ids (a full-scale month's 950,000 viewers): one statement held the server's thread 2
    // to 2.6 s. Statements of COUNT_CHUNK ids in the caller's order with a turn between took 2.5
    // times as long in all (each id a lookup at a random place in the members' B-tree) and a
    // set in the process to count an id given twice once (100 to 150 ms of garbage collection
    // at a time). So the ids go into a table of this connection's own (temp_store is MEMORY),
    // COUNT_CHUNK per statement, which keeps each once and in key order, then are read back in
    // that order with their members' visibility, COUNT_CHUNK at a time: the members' B-tree is
    // walked in order, as the one statement did. A turn of the event loop between statements;
    // a member erased or changed meanwhile is counted as a read a moment later would. Writes to
    // that table change nothing a reader sees: `unseen` for the read cache (writes.ts).
    const s = this.countStatements();
    const call = ++this.countCalls;
    try {
      for (let i = 0; i < ids.length; i += COUNT_CHUNK) {
        if (i > 0) await nextTurn();
        const chunk = JSON.stringify(ids.slice(i, i + COUNT_CHUNK));
        this.writes.unseen(() => s.add.run(call, chunk));
      }
      await nextTurn();
      const chunks = keysetChunks(
        COUNT_CHUNK,
        () => s.first.all(workspaceId, call, COUNT_CHUNK),
        ([last]) => {
          this.writes.unseen(() => s.drop.run(call, last));
          return s.next.all(workspaceId, call, last, COUNT_CHUNK);
        },
      );
      for await (const rows of chunks) for (const [, v] of rows) if (v !== null) out[v as Visibility]++;
    } finally {
      // What is left of this call's ids (all of them if it failed); nothing to do on a closed
      // connection, whose temporary tables are gone with it.
      if (this.db.open) this.writes.unseen(() => s.dropAll.run(call));
    }
    return out;
  }

  private countStatements() {
    return (this.counting ??= this.prepareCounting());
  }

  private prepareCounting() {
    // A temporary table: this connection's own, in memory, never in the database file.
    this.db.exec('CREATE TEMP TABLE IF NOT EXISTS visibility_count_ids (call INTEGER NOT NULL, id TEXT NOT NULL, PRIMARY KEY (call, id)) WITHOUT ROWID');
    const read = `SELECT t.id, m.visibility FROM temp.visibility_count_ids t LEFT JOIN main.members m ON m.workspace_id = ? AND m.id = t.id WHERE t.call = ?`;
    return {
      add: this.db.prepare<[number, string]>('INSERT OR IGNORE INTO temp.visibility_count_ids (call, id) SELECT ?, value FROM json_each(?)'),
      first: this.db.prepare<[string, number, number], [string, string | null]>(`${read} ORDER BY t.id LIMIT ?`).raw(),
      next: this.db.prepare<[string, number, string, number], [string, string | null]>(`${read} AND t.id > ? ORDER BY t.id LIMIT ?`).raw(),
      drop: this.db.prepare<[number, string]>('DELETE FROM temp.visibility_count_ids WHERE call = ? AND id <= ?'),
      dropAll: this.db.prepare<[number]>('DELETE FROM temp.visibility_count_ids WHERE call = ?'),
    };
  }

  async upsert(workspaceId: string, inputs: readonly MemberInput[], mode: UpsertMode, now: number): Promise<Member[]> {
    // Other processes' caches are kept when nothing changed (inline profiles sent again with
    // every visit, as they usually are).
    const changedOnly = (changed: readonly NewMemberChange[]) => (changed.length === 0 ? ('unseen' as const) : { workspaceId, members: changed.map((c) => c.memberId) });
    await this.writes.main(changedOnly, () => {
      this.claimHead.run(workspaceId);
      const stmt = mode === 'replace' ? this.replace : this.merge;
      // One entry per member, its first kind: created then changed in one batch is `created`.
      const changed = new Map<string, NewMemberChange>();
      for (const m of inputs) {
        const existed = this.existsOne.get(workspaceId, m.id) !== undefined;
        if (stmt.run(memberParams(workspaceId, m, now)).changes > 0 && !changed.has(m.id)) changed.set(m.id, { kind: existed ? 'updated' : 'created', memberId: m.id });
      }
      const list = [...changed.values()];
      this.changes.append(workspaceId, list, now);
      return list;
    });
    const found = await this.getMany(workspaceId, inputs.map((m) => m.id));
    return inputs.map((m) => found.get(m.id)!);
  }
}
