/**
 * The CLI a newcomer meets on a fresh workspace, as a real process on both backends: `members add`
 * makes a member key possible, a refused `keys create` changes nothing, errors name the flags the
 * user typed, `keys list` has a header row and `--json`, and `migrate` says what it did and
 * refuses a path whose folder does not exist.
 */
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { BACKENDS, sqliteBackend } from './support/backends.js';
import { freePort, killServers, runCli, secretFrom, startServerProcess } from './support/processes.js';

const T = { timeout: 120_000 };

describe.each(BACKENDS)('members add and keys on a fresh workspace on $name', (backend) => {
  let env: Record<string, string>;
  afterAll(() => killServers());

  it('refuses a member key for a member of a workspace that does not exist, says what to do, and creates nothing', T, async () => {
    env = { DATABASE_URL: await backend.freshUrl(), LOG_LEVEL: 'warn' };
    const res = await runCli(['keys', 'create', '--workspace', 'fresh', '--role', 'member', '--member', 'alice'], env);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('members add alice --workspace fresh');
    expect(res.stdout).not.toContain('secret');
    const list = await runCli(['keys', 'list', '--workspace', 'fresh'], env);
    expect(list.code).toBe(1);
    expect(list.stderr).toContain('workspace fresh not found');
  });

  it('names the flags the user typed, never the API field names', T, async () => {
    const missing = await runCli(['keys', 'create', '--workspace', 'fresh', '--role', 'member'], env);
    expect(missing.stderr).toContain('--member');
    expect(missing.stderr).not.toContain('memberId');
    const adminWithMember = await runCli(['keys', 'create', '--workspace', 'fresh', '--member', 'alice'], env);
    expect(adminWithMember.code).toBe(1);
    expect(adminWithMember.stderr).toContain('--member is only for --role member');
    const badWorkspace = await runCli(['keys', 'create', '--workspace', 'Not Valid!'], env);
    expect(badWorkspace.stderr).toContain('--workspace must be');
    const badUrl = await runCli(['members', 'add', 'alice', '--workspace', 'fresh', '--image-url', 'x'.repeat(3000)], env);
    expect(badUrl.code).toBe(1);
    expect(badUrl.stderr).toContain('--image-url must be a string of at most 2048 characters');
    // Nothing above created the workspace.
    expect((await runCli(['keys', 'list', '--workspace', 'fresh'], env)).code).toBe(1);
  });

  it('adds a member, then a member key for it works on the server', T, async () => {
    const add = await runCli(['members', 'add', 'alice', '--workspace', 'fresh', '--name', 'Alice A', '--plan', 'premium', '--visibility', 'characteristics', '--company', 'Acme'], env);
    expect(add.code, add.stderr).toBe(0);
    expect(add.stdout).toContain('added member alice in workspace fresh (premium, characteristics)');
    expect(add.stdout).toContain('keys create --workspace fresh --role member --member alice');
    const again = await runCli(['members', 'add', 'alice', '--workspace', 'fresh', '--name', 'Alice B', '--plan', 'premium'], env);
    expect(again.stdout).toContain('replaced member alice in workspace fresh (premium, full)');

    const key = await runCli(['keys', 'create', '--workspace', 'fresh', '--role', 'member', '--member', 'alice', '--name', 'app'], env);
    expect(key.code, key.stderr).toBe(0);
    const secret = secretFrom(key.stdout);
    const server = await startServerProcess({ ...env, PORT: String(await freePort()) });
    const me = await fetch(`${server.url}/v1/members/alice/visitors`, { headers: { 'x-api-key': secret } });
    expect(me.status).toBe(200);
  });

  it('lists keys with a header row, and as JSON with the fields of GET /v1/keys', T, async () => {
    const admin = await runCli(['keys', 'create', '--workspace', 'fresh', '--credits', '7'], env);
    expect(admin.code, admin.stderr).toBe(0);
    const table = await runCli(['keys', 'list', '--workspace', 'fresh'], env);
    const rows = table.stdout.split('\n').filter(Boolean).map((l) => l.split('\t'));
    expect(rows[0]).toEqual(['ID', 'ROLE', 'MEMBER', 'CREDITS', 'STATE', 'NAME']);
    expect(rows.slice(1).map((r) => [r[1], r[2], r[3], r[4], r[5]])).toEqual([
      ['member', 'alice', 'unlimited', 'active', 'app'],
      ['admin', '-', '7', 'active', ''],
    ]);
    const json = await runCli(['keys', 'list', '--workspace', 'fresh', '--json'], env);
    const keys = JSON.parse(json.stdout) as Array<Record<string, unknown>>;
    expect(keys.map((k) => Object.keys(k).sort())).toEqual([
      ['createdAt', 'credits', 'id', 'memberId', 'name', 'revokedAt', 'role'],
      ['createdAt', 'credits', 'id', 'memberId', 'name', 'revokedAt', 'role'],
    ]);
    expect(keys.map((k) => [k.role, k.memberId, k.credits, k.revokedAt])).toEqual([
      ['member', 'alice', null, null],
      ['admin', null, 7, null],
    ]);
    expect(json.stdout).not.toContain('pv_');
  });
});

describe('migrate on SQLite', () => {
  it('refuses a path whose folder does not exist, creating nothing', T, async () => {
    const base = await sqliteBackend.freshUrl();
    const path = join(base, '..', 'no-such-folder', 'x.db');
    const res = await runCli(['migrate', '--database-url', path], { LOG_LEVEL: 'warn' });
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/the folder .*no-such-folder does not exist/);
    expect(existsSync(join(base, '..', 'no-such-folder'))).toBe(false);
  });
});
