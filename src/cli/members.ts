/** `members add` and `members import`: members enter through the core's member rules, like PUT /v1/members/{id}. */
import { AppError, checkMemberInput, ensureWorkspace, upsertMembers, type MemberResult } from '../core/index.js';
import type { Config } from '../config.js';
import { withStore } from './with-store.js';
import { describeSummary, runImport, type ImportOptions, type ItemOutcome } from './import/importer.js';
import { flagNames } from './flag-names.js';

export interface MemberFlags {
  workspace: string;
  name?: string;
  headline?: string;
  imageUrl?: string;
  company?: string;
  industry?: string;
  location?: string;
  publicIdentifier?: string;
  profileUrl?: string;
  plan?: string;
  visibility?: string;
}

const PROFILE_FLAGS = ['name', 'headline', 'imageUrl', 'company', 'industry', 'location', 'publicIdentifier', 'profileUrl', 'plan', 'visibility'] as const;

export const MEMBER_COLUMNS = ['id', ...PROFILE_FLAGS] as const;

export async function membersAdd(config: Readonly<Config>, id: string, flags: MemberFlags) {
  const raw: Record<string, unknown> = { id };
  for (const f of PROFILE_FLAGS) if (flags[f] !== undefined) raw[f] = flags[f];
  // Checked before anything is written: a refused member does not leave a new workspace behind.
  try {
    checkMemberInput(raw);
  } catch (err) {
    throw err instanceof AppError ? flagNames(err) : err;
  }
  await withStore(config, async (deps) => {
    const workspace = await ensureWorkspace(deps, flags.workspace).catch((err: unknown) => {
      throw err instanceof AppError ? flagNames(err) : err;
    });
    const [result] = await upsertMembers(deps, workspace, [raw]);
    if (!result!.ok) throw flagNames(result!.error);
    const m = result!.member;
    console.log(`${result!.created ? 'added' : 'replaced'} member ${m.id} in workspace ${workspace.id} (${m.plan}, ${m.visibility})`);
    if (result!.created) console.log(`a key acting for this member: profile-visitors keys create --workspace ${workspace.id} --role member --member ${m.id}`);
  });
}

/** In a file the fields are columns or keys of the line itself: "plan must be ...", not "member.plan ...". */
function outcome(r: MemberResult): ItemOutcome {
  if (r.ok) return { ok: true, outcome: r.created ? 'created' : 'updated' };
  return { ok: false, error: new AppError(r.error.code, r.error.message.replace(/\bmember\./g, ''), r.error.details) };
}

export async function membersImport(config: Readonly<Config>, flags: ImportOptions & { workspace: string }): Promise<number> {
  return withStore(config, async (deps) => {
    const workspace = await ensureWorkspace(deps, flags.workspace);
    const summary = await runImport('members', flags, { columns: MEMBER_COLUMNS, required: ['id'] }, async (items) =>
      (await upsertMembers(deps, workspace, items)).map(outcome),
    );
    console.log(describeSummary('members', flags.path === '-' ? 'standard input' : flags.path, summary));
    return summary.stopped ? 1 : summary.refused ? 2 : 0;
  });
}
