import type { ApiKey, ChargeResult, KeyStore, NewApiKey } from '../../core/index.js';
import { KEY_COLUMNS, keyFromRow, type KeyRow } from '../rows.js';
import type { PgDatabase } from './database.js';

export class PgKeys implements KeyStore {
  constructor(private db: PgDatabase) {}

  async create(key: NewApiKey): Promise<ApiKey> {
    const [row] = await this.db.query<KeyRow>(
      `INSERT INTO api_keys (id, workspace_id, secret_hash, role, member_id, name, credits, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       RETURNING ${KEY_COLUMNS}`,
      [key.id, key.workspaceId, key.secretHash, key.role, key.memberId, key.name, key.credits, key.createdAt],
    );
    return keyFromRow(row!);
  }

  async findBySecretHash(hash: string) {
    const [row] = await this.db.query<KeyRow>({ name: 'keys_by_hash', text: `SELECT ${KEY_COLUMNS} FROM api_keys WHERE secret_hash = $1`, values: [hash] });
    return row && keyFromRow(row);
  }

  async get(workspaceId: string, id: string) {
    const [row] = await this.db.query<KeyRow>({
      name: 'keys_get',
      text: `SELECT ${KEY_COLUMNS} FROM api_keys WHERE workspace_id = $1 AND id = $2`,
      values: [workspaceId, id],
    });
    return row && keyFromRow(row);
  }

  async list(workspaceId: string) {
    const rows = await this.db.query<KeyRow>(`SELECT ${KEY_COLUMNS} FROM api_keys WHERE workspace_id = $1 ORDER BY created_at, id`, [workspaceId]);
    return rows.map(keyFromRow);
  }

  async revoke(workspaceId: string, id: string, now: number) {
    const rows = await this.db.query('UPDATE api_keys SET revoked_at = $1 WHERE workspace_id = $2 AND id = $3 AND revoked_at IS NULL RETURNING id', [
      now,
      workspaceId,
      id,
    ]);
    return rows.length > 0;
  }

  async setCredits(workspaceId: string, id: string, credits: number | null) {
    const [row] = await this.db.query<KeyRow>(`UPDATE api_keys SET credits = $1 WHERE workspace_id = $2 AND id = $3 RETURNING ${KEY_COLUMNS}`, [
      credits,
      workspaceId,
      id,
    ]);
    return row && keyFromRow(row);
  }

  /**
   * One statement: a conditional UPDATE takes the credits when the balance covers them (a
   * concurrent charge of the same key waits for the row lock, then re-checks the condition
   * against the balance it left, READ COMMITTED re-evaluation, so the balance never goes below
   * zero and no charge is lost). An unlimited key (null balance) matches no row, so a read on
   * an unlimited key writes nothing; the balance read beside it tells unlimited from short.
   */
  async charge(workspaceId: string, id: string, amount: number): Promise<ChargeResult> {
    const [row] = await this.db.query<{ charged: boolean; remaining: number | null; known: boolean; balance: number | null }>({
      name: 'keys_charge',
      text: `WITH taken AS (
          UPDATE api_keys SET credits = credits - $1 WHERE workspace_id = $2 AND id = $3 AND credits >= $1 RETURNING credits
        ), current AS (SELECT credits FROM api_keys WHERE workspace_id = $2 AND id = $3)
        SELECT EXISTS (SELECT 1 FROM taken) AS charged, (SELECT credits FROM taken) AS remaining,
          EXISTS (SELECT 1 FROM current) AS known, (SELECT credits FROM current) AS balance`,
      values: [amount, workspaceId, id],
    });
    if (row!.charged) return { ok: true, remaining: Number(row!.remaining) };
    if (row!.known && row!.balance === null) return { ok: true, remaining: null };
    // The balance beside the UPDATE is the statement's snapshot, older than the one the UPDATE
    // re-checked under the row lock: read what concurrent charges left.
    return { ok: false, remaining: Number((await this.get(workspaceId, id))?.credits ?? 0) };
  }
}
