import type { Store } from '../../core/index.js';

export interface PostgresOptions {
  url: string;
  poolSize: number;
  migrate: boolean;
}

/** Set to true once this backend implements every store interface; the test suite reads it. */
export const POSTGRES_READY: boolean = false;

/** Placeholder until the PostgreSQL backend lands (issue 4). */
export async function openPostgresStore(_opts: PostgresOptions): Promise<Store> {
  throw new Error('the PostgreSQL backend is not available in this build yet');
}
