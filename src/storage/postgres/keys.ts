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
   * One conditional UPDATE: the balance check and the debit are one atomic step, and a
   * concurrent charge of the same key waits for the row lock, then re-checks the condition
   * against the balance it left (READ COMMITTED re-evaluation), so the balance never goes
   * below zero and no charge is lost.
   */
  async charge(workspaceId: string, id: string, amount: number): Promise<ChargeResult> {
    const [row] = await this.db.query<{ credits: number | null }>({
      name: 'keys_charge',
      text: 'UPDATE api_keys SET credits = credits - $1 WHERE workspace_id = $2 AND id = $3 AND (credits IS NULL OR credits >= $1) RETURNING credits',
      values: [amount, workspaceId, id],
    });
    if (row) return { ok: true, remaining: row.credits };
    return { ok: false, remaining: Number((await this.get(workspaceId, id))?.credits ?? 0) };
  }
}
