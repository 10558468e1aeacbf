import type { BenchArgs } from './args.js';
import type { Dataset } from './dataset.js';
export async function ensurePostgresDataset(_args: BenchArgs): Promise<Dataset> {
  throw new Error('todo');
}
