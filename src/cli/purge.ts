import { purgeExpiredVisits, type PurgeReport } from '../core/index.js';
import type { Config } from '../config.js';
import { withStore } from './with-store.js';

/** `profile-visitors purge [--dry-run]`: removes (or counts) visits older than each workspace's retention, and says so. */
export async function purgeCommand(config: Readonly<Config>, flags: { dryRun: boolean; json: boolean }): Promise<PurgeReport> {
  return withStore(config, async (deps) => {
    const report = await purgeExpiredVisits(deps, { dryRun: flags.dryRun });
    if (flags.json) console.log(JSON.stringify(report));
    else for (const line of describe(report)) console.log(line);
    return report;
  });
}

export function describe(report: PurgeReport): string[] {
  const verb = report.dryRun ? 'would remove' : 'removed';
  const lines: string[] = [];
  if (!report.dryRun && report.rangesDropped > 0) lines.push(`dropped ${report.rangesDropped} whole month(s) of visits older than every workspace's retention`);
  for (const w of report.workspaces) {
    lines.push(
      `${w.workspaceId}: retention ${w.retentionDays} days (before ${new Date(w.cutoff).toISOString()}): ${verb} ${w.visits} visit(s); ` +
        `${w.pairsRemoved} viewer(s) ${report.dryRun ? 'would leave' : 'left'} a visitor list, ${w.pairsChanged} ${report.dryRun ? 'would be' : 'were'} recounted; ` +
        `${w.logEntries} visit log entr${w.logEntries === 1 ? 'y' : 'ies'}`,
    );
  }
  if (report.workspaces.length === 0) lines.push('no workspaces');
  return lines;
}
