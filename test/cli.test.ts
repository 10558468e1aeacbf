/**
 * The `profile-visitors` command, run as a real process: keys create|list|revoke, migrate,
 * demo (its keys and curl lines must work against a started server), and start-up refusing a
 * bad configuration value with a message naming it.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';
import { BACKENDS, sqliteBackend } from './support/backends.js';
import { freePort, killServers, runCli, secretFrom, startServerProcess, type ServerProcess } from './support/processes.js';

const T = { timeout: 120_000 };

/** Runs one shell line (a printed curl command) and returns its HTTP status and body. */
function shell(line: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    execFile('bash', ['-c', `${line} -sS -w '\\n%{http_code}'`], (err, stdout, stderr) => {
      if (err) return reject(new Error(`${line}\n${stderr}`));
      const at = stdout.lastIndexOf('\n');
      resolve({ status: Number(stdout.slice(at + 1)), body: stdout.slice(0, at) });
    });
  });
}

/** The curl commands printed after "Try:", with `\`-continued lines joined. */
function curlLines(output: string): string[] {
  const after = output.slice(output.indexOf('Try:'));
  const joined = after.replace(/\\\n\s*/g, ' ');
  return joined
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('curl '));
}

describe.each(BACKENDS)('the profile-visitors command on $name', (backend) => {
  describe('keys create | list | revoke', () => {
    let env: Record<string, string>;
    let server: ServerProcess;
    let admin: string;
    let adminId: string;

    beforeAll(async () => {
      env = { DATABASE_URL: await backend.freshUrl(), LOG_LEVEL: 'warn', AUTH_CACHE_MS: '0' };
    });
    afterAll(() => killServers());

    it('creates an admin key, printing its id and its secret once', T, async () => {
      const res = await runCli(['keys', 'create', '--workspace', 'acme', '--role', 'admin', '--name', 'ops'], env);
      expect(res.code, res.stderr).toBe(0);
      const m = /created admin key (key_\w+) in workspace acme/.exec(res.stdout);
      expect(m, res.stdout).not.toBeNull();
      adminId = m![1]!;
      admin = secretFrom(res.stdout);
      expect(admin).toMatch(/^pv_admin_[\w-]{20,}$/);
      server = await startServerProcess({ ...env, PORT: String(await freePort()) });
      const ws = await fetch(`${server.url}/v1/workspace`, { headers: { 'x-api-key': admin } });
      expect(ws.status).toBe(200);
      expect(((await ws.json()) as any).id).toBe('acme');
    });

    it('creates a member key bound to an existing member, usable on Networked', T, async () => {
      const put = await fetch(`${server.url}/v1/members/m1`, {
        method: 'PUT',
        headers: { 'x-api-key': admin, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'Mia Member', plan: 'premium' }),
      });
      expect(put.status).toBe(200);
      const res = await runCli(['keys', 'create', '--workspace', 'acme', '--role', 'member', '--member', 'm1', '--credits', '25'], env);
      expect(res.code, res.stderr).toBe(0);
      expect(res.stdout).toMatch(/created member key key_\w+ in workspace acme for member m1/);
      const secret = secretFrom(res.stdout);
      const visits = await fetch(`${server.url}/api/v1/profile/visits?start=0&count=10`, { headers: { 'x-api-key': secret } });
      expect(visits.status).toBe(200);
      expect(await visits.json()).toEqual({ data: { start: 0, count: 0, nextStart: false, content: [] }, error: false, message: 'Success' });
    });

    it('lists the keys of a workspace with role, member, credits and state, never the secret', T, async () => {
      const res = await runCli(['keys', 'list', '--workspace', 'acme'], env);
      expect(res.code, res.stderr).toBe(0);
      const lines = res.stdout.trim().split('\n');
      expect(lines).toHaveLength(3);
      expect(lines[0]!.split('\t')).toEqual(['ID', 'ROLE', 'MEMBER', 'CREDITS', 'STATE', 'NAME']);
      expect(lines[1]!.split('\t')).toEqual([adminId, 'admin', '-', 'unlimited', 'active', 'ops']);
      expect(lines[2]!.split('\t').slice(1, 5)).toEqual(['member', 'm1', '25', 'active']);
      expect(res.stdout).not.toContain('pv_');
    });

    it('revokes a key: the list says so and the server refuses it with 401', T, async () => {
      const res = await runCli(['keys', 'revoke', adminId, '--workspace', 'acme'], env);
      expect(res.code, res.stderr).toBe(0);
      expect(res.stdout).toContain(`revoked ${adminId}`);
      const list = await runCli(['keys', 'list', '--workspace', 'acme'], env);
      expect(list.stdout.split('\n')[1]).toMatch(new RegExp(`^${adminId}\\tadmin\\t-\\tunlimited\\trevoked \\d{4}-\\d\\d-\\d\\dT`));
      const refused = await fetch(`${server.url}/v1/workspace`, { headers: { 'x-api-key': admin } });
      expect(refused.status).toBe(401);
      const again = await runCli(['keys', 'revoke', adminId, '--workspace', 'acme'], env);
      expect(again.code).not.toBe(0);
      expect(again.stderr).toMatch(/not found|revoked/);
    });

    const refusals: Array<[string, string[], RegExp]> = [
      ['a member key without --member', ['keys', 'create', '--workspace', 'acme', '--role', 'member'], /memberId|--member/],
      ['a member key for an unknown member', ['keys', 'create', '--workspace', 'acme', '--role', 'member', '--member', 'ghost'], /ghost/],
      ['credits that are not a number', ['keys', 'create', '--workspace', 'acme', '--credits', 'lots'], /--credits/],
      ['negative credits', ['keys', 'create', '--workspace', 'acme', '--credits', '-5'], /--credits/],
      ['an unknown role', ['keys', 'create', '--workspace', 'acme', '--role', 'root'], /root/],
      ['an invalid workspace id', ['keys', 'create', '--workspace', 'Not Valid!'], /workspace/],
      ['listing an unknown workspace', ['keys', 'list', '--workspace', 'nope'], /nope/],
      ['revoking an unknown key', ['keys', 'revoke', 'key_doesnotexist', '--workspace', 'acme'], /key_doesnotexist/],
      ['revoking a key of another workspace', ['keys', 'revoke', 'KEYID', '--workspace', 'other'], /not found/],
    ];
    it.each(refusals)('refuses %s with a message and a non-zero exit', T, async (_name, args, message) => {
      if (args.includes('other')) {
        expect((await runCli(['keys', 'create', '--workspace', 'other'], env)).code).toBe(0);
      }
      const res = await runCli(
        args.map((a) => (a === 'KEYID' ? adminId : a)),
        env,
      );
      expect(res.code).not.toBe(0);
      expect(res.signal).toBeNull();
      expect(res.stderr).toMatch(message);
      expect(res.stdout).not.toMatch(/secret/);
    });
  });

  describe('migrate', () => {
    afterEach(() => killServers());
    it('creates the schema on a fresh database, is idempotent, and the server then starts on it', T, async () => {
      const env = { DATABASE_URL: await backend.freshUrl(), LOG_LEVEL: 'warn' };
      const first = await runCli(['migrate'], env);
      expect(first.code, first.stderr).toBe(0);
      expect(first.stdout).toMatch(new RegExp(`^created schema v\\d+ \\(${backend.name}\\)`));
      if (backend.name === 'sqlite') expect(existsSync(env.DATABASE_URL)).toBe(true);
      const second = await runCli(['migrate'], env);
      expect(second.code, second.stderr).toBe(0);
      expect(second.stdout).toMatch(new RegExp(`^schema up to date: v\\d+ \\(${backend.name}\\)`));
      const server = await startServerProcess({ ...env, PORT: String(await freePort()) });
      const health = await fetch(`${server.url}/healthz`);
      expect(await health.json()).toEqual({ status: 'ok', store: backend.name });
    });
  });

  describe('demo', () => {
    afterEach(() => killServers());
    it('prints an admin key, a free and a premium member key, and curl lines that work against a started server', T, async () => {
      const port = String(await freePort());
      const env = { DATABASE_URL: await backend.freshUrl(), LOG_LEVEL: 'warn', PORT: port, HOST: '127.0.0.1' };
      const demo = await runCli(['demo', '--no-serve', '--members', '30', '--visits', '200'], env, { killAfterMs: 90_000 });
      expect(demo.code, demo.stderr).toBe(0);
      expect(demo.signal).toBeNull();
      const out = demo.stdout;
      const admin = /admin key\s+(pv_admin_\S+)/.exec(out)?.[1];
      const free = /free member key\s+(pv_member_\S+)\s+\(member (\S+?)\)/.exec(out);
      const premium = /premium member key\s+(pv_member_\S+)\s+\(member (\S+?)[,)]/.exec(out);
      expect(admin, out).toBeDefined();
      expect(free, out).not.toBeNull();
      expect(premium, out).not.toBeNull();
      expect(out).toContain(`http://127.0.0.1:${port}`);

      const server = await startServerProcess({ ...env });
      const get = async (path: string, key: string) => {
        const res = await fetch(`${server.url}${path}`, { headers: { 'x-api-key': key } });
        return { status: res.status, body: (await res.json()) as any };
      };
      expect((await get(`/v1/members/${free![2]}`, admin!)).body.plan).toBe('free');
      expect((await get(`/v1/members/${premium![2]}`, admin!)).body.plan).toBe('premium');
      const keys = (await get('/v1/keys', admin!)).body.keys;
      expect(keys.map((k: any) => [k.role, k.memberId])).toEqual(
        expect.arrayContaining([
          ['admin', null],
          ['member', free![2]],
          ['member', premium![2]],
        ]),
      );

      const lines = curlLines(out);
      expect(lines.length).toBeGreaterThanOrEqual(4);
      const results = [];
      for (const line of lines) results.push({ line, ...(await shell(line)) });
      for (const r of results) expect([200, 201], `${r.line}\n${r.body}`).toContain(r.status);

      const networked = results.find((r) => r.line.includes('/api/v1/profile/visits'));
      expect(networked, 'a Networked curl line').toBeDefined();
      const page = JSON.parse(networked!.body);
      expect(page).toMatchObject({ error: false, message: 'Success' });
      expect(page.data.content.length).toBeGreaterThan(0);
      const visitors = results.find((r) => r.line.includes('/visitors'));
      expect(visitors, 'a native visitors curl line').toBeDefined();
      expect(JSON.parse(visitors!.body).viewers.length).toBeGreaterThan(0);
      const linkup = results.find((r) => r.line.includes('/v2/profiles'));
      expect(linkup, 'a LinkupAPI curl line').toBeDefined();
      expect(JSON.parse(linkup!.body).data.viewers.length).toBeGreaterThan(0);
      const connectSafely = results.find((r) => r.line.includes('/linkedin/profile/visitors'));
      expect(connectSafely, 'a ConnectSafely curl line').toBeDefined();
      expect(JSON.parse(connectSafely!.body)).toMatchObject({ success: true });
      const record = results.find((r) => r.line.includes('-X POST'));
      expect(record, 'a record-a-visit curl line').toBeDefined();
      expect(['recorded', 'deduplicated']).toContain(JSON.parse(record!.body).status);
    });

    it('run again, reuses the data and revokes the previous run\'s demo keys, saying so', T, async () => {
      const env = { DATABASE_URL: await backend.freshUrl(), LOG_LEVEL: 'warn', PORT: String(await freePort()), HOST: '127.0.0.1' };
      const args = ['demo', '--no-serve', '--members', '10', '--visits', '20'];
      const first = await runCli(args, env, { killAfterMs: 90_000 });
      expect(first.code, first.stderr).toBe(0);
      const second = await runCli(args, env, { killAfterMs: 90_000 });
      expect(second.code, second.stderr).toBe(0);
      expect(second.stdout).toContain('demo workspace already filled');
      expect(second.stdout).toMatch(/revoked the 3 demo keys of the previous run \(key_\w+, key_\w+, key_\w+\); new ones below/);
      const keys = JSON.parse((await runCli(['keys', 'list', '--workspace', 'demo', '--json'], env)).stdout) as Array<{ revokedAt: number | null }>;
      expect(keys).toHaveLength(6);
      expect(keys.filter((k) => k.revokedAt === null)).toHaveLength(3);
    });

    it('with --no-serve neither needs the port nor claims to be running', T, async () => {
      const busy = await startServerProcess({ DATABASE_URL: await backend.freshUrl(), LOG_LEVEL: 'warn', PORT: String(await freePort()) });
      const port = new URL(busy.url).port;
      const env = { DATABASE_URL: await backend.freshUrl(), LOG_LEVEL: 'warn', PORT: port, HOST: '127.0.0.1' };
      const demo = await runCli(['demo', '--no-serve', '--members', '10', '--visits', '20'], env, { killAfterMs: 90_000 });
      expect(demo.code, demo.stderr).toBe(0);
      expect(demo.stdout).not.toMatch(/is running at/);
      expect(demo.stdout).toMatch(/serve/);
      expect(demo.stdout).toMatch(/admin key\s+pv_admin_/);
    });

    it('a second run reuses the demo data and prints fresh keys', T, async () => {
      const env = { DATABASE_URL: await backend.freshUrl(), LOG_LEVEL: 'warn', PORT: String(await freePort()), HOST: '127.0.0.1' };
      const first = await runCli(['demo', '--no-serve', '--members', '10', '--visits', '20'], env, { killAfterMs: 90_000 });
      const second = await runCli(['demo', '--no-serve', '--members', '10', '--visits', '20'], env, { killAfterMs: 90_000 });
      expect(first.code, first.stderr).toBe(0);
      expect(second.code, second.stderr).toBe(0);
      expect(second.stdout).toMatch(/reusing/);
      const key = (o: string) => /admin key\s+(\S+)/.exec(o)?.[1];
      expect(key(second.stdout)).toMatch(/^pv_admin_/);
      expect(key(second.stdout)).not.toBe(key(first.stdout));
    });

    it('refuses --members below 3 with a message naming it', T, async () => {
      const env = { DATABASE_URL: await backend.freshUrl(), LOG_LEVEL: 'warn', PORT: '0' };
      const res = await runCli(['demo', '--no-serve', '--members', '2'], env, { killAfterMs: 60_000 });
      expect(res.code).not.toBe(0);
      expect(res.signal).toBeNull();
      expect(res.stderr).toMatch(/--members/);
    });
  });

  // Configuration is read and validated before any backend is touched, so this is checked once,
  // on the first backend: every variable in-process, and the real command for a few of them.
  describe.runIf(backend === BACKENDS[0])('a bad configuration value stops start-up with a message naming it (backend-independent: checked on the first backend only)', () => {
    const values: Array<[string, string, RegExp]> = [
      ['PORT', 'abc', /PORT.*abc/],
      ['PORT', '70000', /PORT/],
      ['PORT', '-1', /PORT/],
      ['SQLITE_SYNCHRONOUS', 'maybe', /SQLITE_SYNCHRONOUS.*maybe/],
      ['LOG_LEVEL', 'loud', /LOG_LEVEL.*loud/],
      ['DATABASE_URL', 'mysql://db/x', /DATABASE_URL/],
      ['DATABASE_URL', ' ', /DATABASE_URL/],
      ['BODY_LIMIT_BYTES', '10', /BODY_LIMIT_BYTES/],
      ['BODY_LIMIT_BYTES', '1.5e6', /BODY_LIMIT_BYTES/],
      ['RATE_LIMIT_MAX', '-1', /RATE_LIMIT_MAX/],
      ['RATE_LIMIT_WINDOW_MS', '10', /RATE_LIMIT_WINDOW_MS/],
      ['AUTH_CACHE_MS', 'soon', /AUTH_CACHE_MS/],
      ['PG_POOL_SIZE', '0', /PG_POOL_SIZE/],
      ['HOST', ' ', /HOST/],
    ];
    it.each(values)('%s=%s is refused by name', (name, value, message) => {
      expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
      expect(() => loadConfig({ [name]: value })).toThrow(message);
    });

    it('flags are validated like the environment and named as flags', () => {
      expect(() => loadConfig({}, { port: 'abc' })).toThrow(/--port.*abc/);
      expect(() => loadConfig({}, { sqliteSynchronous: 'maybe' })).toThrow(/--sqlite-synchronous/);
    });

    it('good values are accepted', () => {
      const config = loadConfig({ PORT: '8080', SQLITE_SYNCHRONOUS: 'full', LOG_LEVEL: 'debug', DATABASE_URL: 'postgres://u@h:5432/db' });
      expect(config).toMatchObject({ port: 8080, sqliteSynchronous: 'full', logLevel: 'debug', databaseUrl: 'postgres://u@h:5432/db' });
    });

    const commands: Array<[string, Record<string, string>, string[], RegExp]> = [
      ['serve with PORT=abc', { PORT: 'abc' }, ['serve'], /PORT.*abc/],
      ['serve with SQLITE_SYNCHRONOUS=maybe', { SQLITE_SYNCHRONOUS: 'maybe' }, ['serve'], /SQLITE_SYNCHRONOUS.*maybe/],
      ['serve --port abc', {}, ['serve', '--port', 'abc'], /--port.*abc/],
      ['keys create with DATABASE_URL=mysql://db/x', { DATABASE_URL: 'mysql://db/x' }, ['keys', 'create', '--workspace', 'w'], /DATABASE_URL/],
      ['demo with LOG_LEVEL=loud', { LOG_LEVEL: 'loud' }, ['demo', '--no-serve', '--members', '5', '--visits', '5'], /LOG_LEVEL/],
    ];
    // Independent processes on separate databases: run side by side.
    it.concurrent.each(commands)('the command stops: %s', T, async (_name, bad, args, message) => {
      const databaseUrl = await sqliteBackend.freshUrl();
      const env = { DATABASE_URL: databaseUrl, PORT: '0', LOG_LEVEL: 'warn', ...bad };
      const res = await runCli(args, env, { killAfterMs: 60_000 });
      expect(res.signal, `still running:\n${res.stdout}${res.stderr}`).toBeNull();
      expect(res.code).not.toBe(0);
      expect(res.stderr).toMatch(/configuration error/);
      expect(res.stderr).toMatch(message);
      // Stopped before touching the database.
      expect(existsSync(databaseUrl)).toBe(false);
    });
  });
});
