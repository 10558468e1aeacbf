import { AppError, createApiKey, ensureWorkspace, listApiKeys, recordAudit, revokeApiKey } from '../core/index.js';

/** The command line acts with no key: the audit log names it with a null actor. */
const CLI = { keyId: null };
import type { Config } from '../config.js';
import { withStore } from './with-store.js';

export async function keysCreate(
  config: Readonly<Config>,
  flags: { workspace: string; role: 'admin' | 'member'; member?: string; name?: string; credits?: string },
) {
  let credits: number | null = null;
  if (flags.credits !== undefined) {
    credits = Number(flags.credits);
    if (!/^\d+$/.test(flags.credits) || !Number.isSafeInteger(credits)) throw new AppError('invalid_input', '--credits must be a non-negative integer');
  }
  await withStore(config, async (deps) => {
    const workspace = await ensureWorkspace(deps, flags.workspace);
    const { key, secret } = await createApiKey(deps, workspace, { role: flags.role, memberId: flags.member, name: flags.name, credits });
    await recordAudit(deps, workspace, CLI, 'key.created', key.id, { role: key.role, memberId: key.memberId, credits: key.credits });
    console.log(`created ${key.role} key ${key.id} in workspace ${workspace.id}${key.memberId ? ` for member ${key.memberId}` : ''}`);
    console.log(`secret (shown once): ${secret}`);
  });
}

export async function keysList(config: Readonly<Config>, workspaceId: string) {
  await withStore(config, async (deps) => {
    const workspace = await deps.store.workspaces.get(workspaceId);
    if (!workspace) throw new AppError('not_found', `workspace ${workspaceId} not found`);
    const keys = await listApiKeys(deps, workspace);
    if (keys.length === 0) console.log('no keys');
    for (const k of keys) {
      const state = k.revokedAt ? `revoked ${new Date(k.revokedAt).toISOString()}` : 'active';
      console.log(`${k.id}\t${k.role}\t${k.memberId ?? '-'}\t${k.credits ?? 'unlimited'}\t${state}\t${k.name ?? ''}`);
    }
  });
}

export async function keysRevoke(config: Readonly<Config>, workspaceId: string, keyId: string) {
  await withStore(config, async (deps) => {
    const workspace = await deps.store.workspaces.get(workspaceId);
    if (!workspace) throw new AppError('not_found', `workspace ${workspaceId} not found`);
    await revokeApiKey(deps, workspace, keyId);
    await recordAudit(deps, workspace, CLI, 'key.revoked', keyId);
    console.log(`revoked ${keyId}`);
  });
}
