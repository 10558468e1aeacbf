/** A schema step. Each backend keeps its own ordered list; versions never change once released. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export class SchemaTooNewError extends Error {
  constructor(found: number, known: number, what = 'the database schema') {
    super(`${what} is at version ${found}, newer than this build knows (${known}); upgrade profile-visitors before using this database`);
    this.name = 'SchemaTooNewError';
  }
}

export function latestVersion(migrations: readonly Migration[]): number {
  return migrations.reduce((v, m) => Math.max(v, m.version), 0);
}
