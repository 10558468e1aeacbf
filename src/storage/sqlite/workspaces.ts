import { DEFAULT_SETTINGS, type Workspace, type WorkspaceSettings, type WorkspaceStore } from '../../core/index.js';
import { workspaceFromRow, type WorkspaceRow } from '../rows.js';
import type { SqliteDb } from './database.js';
import type { SqliteWrites } from './writes.js';

/** Workspaces are read from SQLite every time (one row by key): nothing of theirs is cached. */
export class SqliteWorkspaces implements WorkspaceStore {
  private byId;
  private all;
  private insert;
  private update;

  constructor(
    private db: SqliteDb,
    private writes: SqliteWrites,
  ) {
    this.byId = db.prepare<[string], WorkspaceRow>('SELECT id, name, settings, created_at FROM workspaces WHERE id = ?');
    this.all = db.prepare<[], string>('SELECT id FROM workspaces ORDER BY id').pluck();
    this.insert = db.prepare('INSERT INTO workspaces (id, name, settings, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO NOTHING');
    this.update = db.prepare('UPDATE workspaces SET settings = ? WHERE id = ?');
  }

  async get(id: string): Promise<Workspace | undefined> {
    const row = this.byId.get(id);
    return row && workspaceFromRow(row);
  }

  async ids(): Promise<string[]> {
    return this.all.all();
  }

  async ensure(id: string, name: string): Promise<Workspace> {
    await this.writes.main('unseen', () => this.insert.run(id, name, JSON.stringify(DEFAULT_SETTINGS), Date.now()));
    return workspaceFromRow(this.byId.get(id)!);
  }

  async updateSettings(id: string, settings: WorkspaceSettings): Promise<Workspace> {
    await this.writes.main('unseen', () => this.update.run(JSON.stringify(settings), id));
    return workspaceFromRow(this.byId.get(id)!);
  }
}
