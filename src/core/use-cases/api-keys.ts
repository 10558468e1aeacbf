import { createHash, randomBytes } from 'node:crypto';
import { AppError, invalidInput, notFound } from '../errors.js';
import type { ApiKey, Role, Workspace } from '../types.js';
import { refuseNul } from '../validation.js';
import type { CoreDeps } from './deps.js';
import { getMember } from './members.js';

/** Secrets carry 192 random bits, so a fast hash is enough: there is nothing to brute-force. */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export interface CreateKeyInput {
  role: Role;
  memberId?: string | null;
  name?: string | null;
  credits?: number | null;
}

export interface CreatedKey {
  key: ApiKey;
  /** Shown once; only its hash is stored. */
  secret: string;
}

function checkCredits(credits: unknown): number | null {
  if (credits === null || credits === undefined) return null;
  if (typeof credits !== 'number' || !Number.isSafeInteger(credits) || credits < 0) {
    throw invalidInput('credits must be a non-negative integer or null (unlimited)', { field: 'credits' });
  }
  return credits;
}

export async function createApiKey(deps: CoreDeps, workspace: Workspace, input: CreateKeyInput): Promise<CreatedKey> {
  const memberId = input.memberId ?? null;
  if (input.role === 'member') {
    if (!memberId) throw invalidInput('a member key needs memberId', { field: 'memberId' });
    await getMember(deps, workspace, memberId);
  } else if (memberId) {
    throw invalidInput('an admin key acts for the whole workspace and takes no memberId', { field: 'memberId' });
  }
  const id = `key_${randomBytes(8).toString('hex')}`;
  const secret = `pv_${input.role === 'admin' ? 'admin' : 'member'}_${randomBytes(24).toString('base64url')}`;
  const key = await deps.store.keys.create({
    id,
    workspaceId: workspace.id,
    secretHash: hashSecret(secret),
    role: input.role,
    memberId,
    name: input.name == null ? null : refuseNul(input.name, 'name'),
    credits: checkCredits(input.credits),
    createdAt: deps.clock.now(),
  });
  return { key, secret };
}

export async function listApiKeys(deps: CoreDeps, workspace: Workspace) {
  return deps.store.keys.list(workspace.id);
}

export async function revokeApiKey(deps: CoreDeps, workspace: Workspace, id: string): Promise<void> {
  const ok = await deps.store.keys.revoke(workspace.id, id, deps.clock.now());
  if (!ok) throw notFound(`api key ${id} not found or already revoked`);
}

export async function setApiKeyCredits(deps: CoreDeps, workspace: Workspace, id: string, credits: unknown): Promise<ApiKey> {
  const key = await deps.store.keys.setCredits(workspace.id, id, checkCredits(credits));
  if (!key) throw notFound(`api key ${id} not found`);
  return key;
}

export interface Principal {
  key: ApiKey;
  workspace: Workspace;
}

/**
 * Resolves a presented secret to its key and workspace. Results are cached briefly so the
 * hot read path does not hit the database (nor hash the secret) on every request; `forget`
 * drops a revoked key at once in this process, other processes see a revocation within `ttlMs`.
 * The cache is keyed by the presented secret itself: it lives only in this process's memory,
 * where every request's secret passes anyway; only its hash is ever stored.
 */
export class Authenticator {
  private cache = new Map<string, { principal: Principal | null; until: number }>();

  constructor(
    private deps: CoreDeps,
    private ttlMs = 2_000,
    private maxEntries = 10_000,
  ) {}

  async authenticate(secret: string | undefined): Promise<Principal> {
    if (!secret) throw new AppError('unauthorized', 'missing API key');
    const now = this.deps.clock.now();
    const hit = this.cache.get(secret);
    let principal: Principal | null;
    if (hit && hit.until > now) principal = hit.principal;
    else {
      principal = await this.lookup(hashSecret(secret));
      if (this.cache.size >= this.maxEntries) this.cache.clear();
      this.cache.set(secret, { principal, until: now + this.ttlMs });
    }
    if (!principal) throw new AppError('unauthorized', 'invalid API key');
    return principal;
  }

  /** Forget everything cached (after a revocation or a settings change). */
  forget(): void {
    this.cache.clear();
  }

  private async lookup(hash: string): Promise<Principal | null> {
    const key = await this.deps.store.keys.findBySecretHash(hash);
    if (!key || key.revokedAt !== null) return null;
    const workspace = await this.deps.store.workspaces.get(key.workspaceId);
    return workspace ? { key, workspace } : null;
  }
}
