/**
 * `profile-visitors rebuild <projection>`: builds one projection of the visit log again from the
 * whole log (docs/visit-log.md), then prints where it stands. The summary is rebuilt in one
 * transaction that holds recordings off meanwhile; other projections are reset and replayed.
 */
import { rebuildProjection } from '../core/index.js';
import type { Config } from '../config.js';
import { openStore } from '../storage/open-store.js';

export async function rebuildCommand(config: Readonly<Config>, name: string): Promise<void> {
  const store = await openStore(config, { migrate: false });
  try {
    const projection = store.projections.find((p) => p.name === name);
    if (!projection) throw new Error(`no projection named "${name}" (known: ${store.projections.map((p) => p.name).join(', ')})`);
    const started = Date.now();
    await rebuildProjection(store.visitLog, projection);
    let applied = 0;
    for (const head of await store.visitLog.heads()) applied = Math.max(applied, await projection.checkpoint(head.workspaceId));
    console.log(`rebuilt ${name} from the visit log in ${Date.now() - started} ms (checkpoint ${applied})`);
  } finally {
    await store.close();
  }
}
