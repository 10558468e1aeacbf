import { AppError, createApiKey, ensureWorkspace, invalidInput, listApiKeys, recordAudit, refuseNul, revokeApiKey, type ApiKey } from '../core/index.js';

/** The command line acts with no key: the audit log names it with a null actor. */
const CLI = { keyId: null };
import type { Config } from '../config.js';
import { withStore } from './with-store.js';
import { flagNames } from './flag-names.js';

export async function keysCreate(
  config: Readonly<Config>,
  flags: { workspace: string; role: 'admin' | 'member'; member?: string; name?: string; credits?: string },
) {
  let credits: number | null = null;
  if (flags.credits !== undefined) {
    credits = Number(flags.credits);
    if (!/^\d+$/.test(flags.credits) || !Number.isSafeInteger(credits)) throw new AppError('invalid_input', '--credits must be a non-negative integer');
  }
  if (flags.role === 'member' && !flags.member) throw invalidInput('a member key needs --member MEMBER_ID (the member it acts for)');
  if (flags.role === 'admin' && flags.member) throw invalidInput('--member is only for --role member: an admin key acts for the whole workspace');
  if (flags.name !== undefined) refuseNul(flags.name, '--name');
  await withStore(config, async (deps) => {
    // A refused key changes nothing: the workspace is created only once the key is sure to be.
    const existing = await deps.store.workspaces.get(flags.workspace);
    if (flags.role === 'member') {
      const hint = `add it first: profile-visitors members add ${flags.member} --workspace ${flags.workspace} --name NAME`;
      if (!existing) throw new AppError('not_found', `workspace ${flags.workspace} does not exist, so member ${flags.member} does not either; ${hint}`);
      if (!(await deps.store.members.get(existing.id, flags.member!))) {
        throw new AppError('not_found', `member ${flags.member} not found in workspace ${flags.workspace}; ${hint}`);
      }
    }
    const workspace = existing ?? (await namingFlags(() => ensureWorkspace(deps, flags.workspace)));
    const { key, secret } = await namingFlags(() => createApiKey(deps, workspace, { role: flags.role, memberId: flags.member, name: flags.name, credits }));
    await recordAudit(deps, workspace, CLI, 'key.created', key.id, { role: key.role, memberId: key.memberId, credits: key.credits });
    console.log(`created ${key.role} key ${key.id} in workspace ${workspace.id}${key.memberId ? ` for member ${key.memberId}` : ''}`);
    console.log(`secret (shown once): ${secret}`);
  });
}

async function namingFlags<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw err instanceof AppError ? flagNames(err) : err;
  }
}

const COLUMNS = ['ID', 'ROLE', 'MEMBER', 'CREDITS', 'STATE', 'NAME'];

function row(k: ApiKey): string[] {
  const state = k.revokedAt ? `revoked ${new Date(k.revokedAt).toISOString()}` : 'active';
  return [k.id, k.role, k.memberId ?? '-', k.credits === null ? 'unlimited' : String(k.credits), state, k.name ?? ''];
}

/** Tab-separated with a header row (easy to `cut`), or `--json`: one array, the API's key fields, never a secret. */
export async function keysList(config: Readonly<Config>, workspaceId: string, json = false) {
  await withStore(config, async (deps) => {
    const workspace = await deps.store.workspaces.get(workspaceId);
    if (!workspace) throw new AppError('not_found', `workspace ${workspaceId} not found`);
    const keys = await listApiKeys(deps, workspace);
    if (json) {
      // The fields and forms of GET /v1/keys (times in epoch milliseconds).
      const out = keys.map((k) => ({ id: k.id, role: k.role, memberId: k.memberId, name: k.name, credits: k.credits, createdAt: k.createdAt, revokedAt: k.revokedAt }));
      console.log(JSON.stringify(out, null, 2));
      return;
    }
    console.log(COLUMNS.join('\t'));
    for (const k of keys) console.log(row(k).join('\t'));
    if (keys.length === 0) console.error(`workspace ${workspaceId} has no keys yet: profile-visitors keys create --workspace ${workspaceId}`);
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
