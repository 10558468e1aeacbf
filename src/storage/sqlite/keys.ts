import type { ApiKey, ChargeResult, KeyStore, NewApiKey } from '../../core/index.js';
import { KEY_COLUMNS, keyFromRow, type KeyRow } from '../rows.js';
import type { SqliteDb } from './database.js';
import type { ReadCache } from './read-cache.js';
import type { SqliteWrites } from './writes.js';

export class SqliteKeys implements KeyStore {
  private insert;
  private byHash;
  private byId;
  private all;
  private revokeStmt;
  private credits;
  private take;
  private balance;

  constructor(
    db: SqliteDb,
    private cache: ReadCache,
    private writes: SqliteWrites,
  ) {
    this.insert = db.prepare(
      'INSERT INTO api_keys (id, workspace_id, secret_hash, role, member_id, name, credits, created_at) VALUES (@id, @workspaceId, @secretHash, @role, @memberId, @name, @credits, @createdAt)',
    );
    this.byHash = db.prepare<[string], KeyRow>(`SELECT ${KEY_COLUMNS} FROM api_keys WHERE secret_hash = ?`);
    this.byId = db.prepare<[string, string], KeyRow>(`SELECT ${KEY_COLUMNS} FROM api_keys WHERE workspace_id = ? AND id = ?`);
    this.all = db.prepare<[string], KeyRow>(`SELECT ${KEY_COLUMNS} FROM api_keys WHERE workspace_id = ? ORDER BY created_at, id`);
    this.revokeStmt = db.prepare('UPDATE api_keys SET revoked_at = ? WHERE workspace_id = ? AND id = ? AND revoked_at IS NULL');
    this.credits = db.prepare('UPDATE api_keys SET credits = ? WHERE workspace_id = ? AND id = ?');
    // One statement: the balance check and the debit cannot be split by another writer.
    this.take = db.prepare<[{ amount: number; ws: string; id: string }], { credits: number | null }>(
      'UPDATE api_keys SET credits = credits - @amount WHERE workspace_id = @ws AND id = @id AND credits >= @amount RETURNING credits',
    );
    this.balance = db.prepare<[string, string], { credits: number | null }>('SELECT credits FROM api_keys WHERE workspace_id = ? AND id = ?');
  }

  /** A new key is in no cache: whether a key is unlimited is kept once a charge has read it. */
  async create(key: NewApiKey): Promise<ApiKey> {
    await this.writes.main('unseen', () => this.insert.run(key));
    return keyFromRow(this.byId.get(key.workspaceId, key.id)!);
  }

  async findBySecretHash(hash: string) {
    const row = this.byHash.get(hash);
    return row && keyFromRow(row);
  }

  async get(workspaceId: string, id: string) {
    const row = this.byId.get(workspaceId, id);
    return row && keyFromRow(row);
  }

  async list(workspaceId: string) {
    return this.all.all(workspaceId).map(keyFromRow);
  }

  /** Keys are found by their secret uncached: a revoked key is refused from the next request. */
  async revoke(workspaceId: string, id: string, now: number) {
    return this.writes.main('unseen', () => this.revokeStmt.run(now, workspaceId, id).changes > 0);
  }

  /**
   * Only this write turns an unlimited key into a metered one: it moves the main epoch, so that
   * other processes forget which keys they knew to be unlimited. The UPDATE, a write, takes the
   * lock before anything is read; a key that is not there moves nothing, so that no tenant can
   * empty other processes' caches by naming keys.
   */
  async setCredits(workspaceId: string, id: string, credits: number | null) {
    await this.writes.main(
      (changed: boolean) => (changed ? { workspaceId, unlimitedKeys: [id] } : 'unseen'),
      () => this.credits.run(credits, workspaceId, id).changes > 0,
    );
    return this.get(workspaceId, id);
  }

  /**
   * An unlimited key (null balance) is only read, once: a read request must not cost a commit,
   * and the read cache then remembers it (a metered key's balance is always read and debited in
   * one statement).
   */
  async charge(workspaceId: string, id: string, amount: number): Promise<ChargeResult> {
    if (this.cache.isUnlimitedKey(workspaceId, id)) return { ok: true, remaining: null };
    const before = this.balance.get(workspaceId, id);
    if (before && before.credits === null) {
      this.cache.keepUnlimitedKey(workspaceId, id);
      return { ok: true, remaining: null };
    }
    // A metered balance is never cached.
    const row = await this.writes.main('unseen', () => this.take.get({ amount, ws: workspaceId, id }));
    if (row) return { ok: true, remaining: row.credits };
    return { ok: false, remaining: Number(this.balance.get(workspaceId, id)?.credits ?? 0) };
  }
}
