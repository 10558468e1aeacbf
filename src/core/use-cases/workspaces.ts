import { invalidInput } from '../errors.js';
import { isObject, refuseNul } from '../validation.js';
import { checkPageSetting, isPageSetting } from '../rules/page-settings.js';
import { DEFAULT_SETTINGS, type Workspace, type WorkspaceSettings } from '../types.js';
import type { CoreDeps } from './deps.js';

const LIMITS: Record<'dedupWindowMs' | 'freeHistoryDays' | 'premiumHistoryDays' | 'freeFullViewers' | 'retentionDays', [number, number]> = {
  dedupWindowMs: [0, 7 * 86_400_000],
  freeHistoryDays: [1, 3650],
  premiumHistoryDays: [1, 3650],
  freeFullViewers: [0, 1000],
  retentionDays: [1, 3650],
};

/** Applies a partial settings change, checking each value's range. */
export async function updateWorkspaceSettings(deps: CoreDeps, workspace: Workspace, patch: unknown): Promise<Workspace> {
  if (!isObject(patch)) throw invalidInput('settings must be an object');
  const next: WorkspaceSettings = { ...DEFAULT_SETTINGS, ...workspace.settings };
  for (const [field, value] of Object.entries(patch)) {
    if (field === 'urnPrefix') {
      if (typeof value !== 'string' || value.length > 128) throw invalidInput('urnPrefix must be a string of at most 128 characters', { field });
      next.urnPrefix = refuseNul(value, field);
      continue;
    }
    if (isPageSetting(field)) {
      (next as unknown as Record<string, unknown>)[field] = checkPageSetting(field, value);
      continue;
    }
    const range = LIMITS[field as keyof typeof LIMITS];
    if (!range) throw invalidInput(`unknown setting ${field}`, { field });
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < range[0] || value > range[1]) {
      throw invalidInput(`${field} must be an integer from ${range[0]} to ${range[1]}`, { field });
    }
    next[field as keyof typeof LIMITS] = value;
  }
  // Retention never cuts into what a plan shows: a premium member's year must still be there.
  const shown = Math.max(next.premiumHistoryDays, next.freeHistoryDays);
  if (next.retentionDays < shown) {
    throw invalidInput(`retentionDays (${next.retentionDays}) must be at least the longest plan history (${shown} days)`, { field: 'retentionDays' });
  }
  return deps.store.workspaces.updateSettings(workspace.id, next);
}

export async function ensureWorkspace(deps: CoreDeps, id: string, name?: string): Promise<Workspace> {
  if (!/^[a-z0-9][a-z0-9_-]{0,62}$/.test(id)) {
    throw invalidInput('workspace id must be 1 to 63 lowercase letters, digits, _ or -', { field: 'workspace' });
  }
  return deps.store.workspaces.ensure(id, name == null ? id : refuseNul(name, 'name'));
}
