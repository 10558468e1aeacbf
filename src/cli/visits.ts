/** `visits import`: visits enter through the core's recordVisits, the use case behind POST /v1/visits. */
import { createHash } from 'node:crypto';
import { ensureWorkspace, invalidInput, MAX_BATCH, recordVisits } from '../core/index.js';
import type { Config } from '../config.js';
import { withStore } from './with-store.js';
import { describeSummary, runImport, type ImportOptions, type ItemOutcome } from './import/importer.js';

export const VISIT_COLUMNS = ['id', 'profileId', 'viewerId', 'viewedAt', 'source'] as const;

/** An ISO 8601 date becomes epoch milliseconds (the API's form); anything else is left for the core to judge. */
function epochMs(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  if (/^\d+$/.test(value)) return Number(value);
  const ms = Date.parse(value);
  return Number.isNaN(ms) || !/^\d{4}-\d\d-\d\d/.test(value) ? value : ms;
}

/**
 * A re-run must import nothing twice. A visit with an `id` is idempotent by the API's own rule;
 * one without gets an id derived from what it says (who, whom, when, through what), so the same
 * line imported again is a replay. It therefore needs its time: without one the server's clock
 * would make every run a new visit.
 */
export function importId(v: Record<string, unknown>): string {
  const key = [v.profileId, v.viewerId, v.viewedAt, v.source ?? 'other'].join('\u0000');
  return `imp_${createHash('sha256').update(key).digest('base64url').slice(0, 32)}`;
}

function prepare(raw: Record<string, unknown>): { visit: Record<string, unknown> } | { refused: ItemOutcome } {
  const v = { ...raw };
  if (v.viewedAt !== undefined) v.viewedAt = epochMs(v.viewedAt);
  if (v.id === undefined && typeof v.profileId === 'string' && typeof v.viewerId === 'string') {
    if (v.viewedAt === undefined) {
      return { refused: { ok: false, error: invalidInput('viewedAt is required in an import when the visit has no id (a re-run would count it again)', { field: 'viewedAt' }) } };
    }
    v.id = importId(v);
  }
  return { visit: v };
}

export async function visitsImport(config: Readonly<Config>, flags: ImportOptions & { workspace: string }): Promise<number> {
  if (flags.batchSize > MAX_BATCH) throw invalidInput(`--batch-size must be at most ${MAX_BATCH}`);
  return withStore(config, async (deps) => {
    const workspace = await ensureWorkspace(deps, flags.workspace);
    const spec = { columns: VISIT_COLUMNS, required: ['profileId', 'viewerId'] };
    const summary = await runImport(
      'visits',
      flags,
      spec,
      async (items) => {
        const out: ItemOutcome[] = new Array(items.length);
        const sendable: Record<string, unknown>[] = [];
        const at: number[] = [];
        items.map(prepare).forEach((p, i) => {
          if ('refused' in p) out[i] = p.refused;
          else {
            at.push(i);
            sendable.push(p.visit);
          }
        });
        const results = sendable.length ? await recordVisits(deps, workspace, sendable) : [];
        results.forEach((r, n) => {
          out[at[n]!] = r.ok ? { ok: true, outcome: r.status } : r;
        });
        return out;
      },
      ['replayed', 'deduplicated', 'self_view', 'blocked'],
    );
    console.log(describeSummary('visits', flags.path === '-' ? 'standard input' : flags.path, summary));
    return summary.stopped ? 1 : summary.refused ? 2 : 0;
  });
}
