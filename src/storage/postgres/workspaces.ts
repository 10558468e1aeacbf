import { DEFAULT_SETTINGS, type Workspace, type WorkspaceSettings, type WorkspaceStore } from '../../core/index.js';
import { workspaceFromRow, type WorkspaceRow } from '../rows.js';
import type { PgDatabase } from './database.js';

const COLUMNS = 'id, name, settings, created_at';

export class PgWorkspaces implements WorkspaceStore {
  constructor(private db: PgDatabase) {}

  async ids(): Promise<string[]> {
    return (await this.db.query<{ id: string }>('SELECT id FROM workspaces ORDER BY id')).map((r) => r.id);
  }

  async get(id: string): Promise<Workspace | undefined> {
    const [row] = await this.db.query<WorkspaceRow>({ name: 'ws_get', text: `SELECT ${COLUMNS} FROM workspaces WHERE id = $1`, values: [id] });
    return row && workspaceFromRow(row);
  }

  async ensure(id: string, name: string): Promise<Workspace> {
    // Two statements on purpose: when another process inserts the same id concurrently,
    // ON CONFLICT waits for it, and only a later statement's snapshot sees its row.
    await this.db.query('INSERT INTO workspaces (id, name, settings, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING', [
      id,
      name,
      JSON.stringify(DEFAULT_SETTINGS),
      Date.now(),
    ]);
    return (await this.get(id))!;
  }

  async updateSettings(id: string, settings: WorkspaceSettings): Promise<Workspace> {
    const [row] = await this.db.query<WorkspaceRow>(`UPDATE workspaces SET settings = $1 WHERE id = $2 RETURNING ${COLUMNS}`, [JSON.stringify(settings), id]);
    if (!row) throw new Error(`workspace ${id} does not exist`);
    return workspaceFromRow(row);
  }
}
