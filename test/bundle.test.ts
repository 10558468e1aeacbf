/**
 * The bundle users run (package.json's `bin`, `npm start`, the benchmark): built here from the
 * current sources by the same function the build uses, then run as a real process on each
 * backend. It must do what the command does from the sources: keys, migrations, serving every
 * dialect, the OpenAPI document and its browsable docs (assets found beside swagger-ui's own
 * code), the demo (faker, loaded on demand) and WORKERS processes (forked from the bundle).
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundle } from '../scripts/bundle.js';
import { BACKENDS, sqliteBackend } from './support/backends.js';
import { freePort, killServers, REPO_ROOT, runCli, secretFrom, startServerProcess } from './support/processes.js';

const T = { timeout: 120_000 };
// Inside the repository, so that the packages left outside the bundle resolve from node_modules.
const OUT = join(REPO_ROOT, `.vitest-bundle-${process.pid}`);
let command: string[];

beforeAll(async () => {
  command = [await bundle(OUT)];
}, 120_000);
afterAll(async () => {
  await killServers();
  rmSync(OUT, { recursive: true, force: true });
});

describe('the bundle', () => {
  it('is the command package.json installs, and starts with a shebang', () => {
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string> };
    expect(pkg.bin['profile-visitors']).toBe('dist/bin/profile-visitors.mjs');
    expect(readFileSync(command[0]!, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
  });

  it('answers --help with every command', T, async () => {
    const res = await runCli(['--help'], {}, { command });
    expect(res.code, res.stderr).toBe(0);
    for (const name of ['serve', 'demo', 'keys', 'migrate']) expect(res.stdout).toContain(name);
  });
});

describe.each(BACKENDS)('the bundle on $name', (backend) => {
  let env: Record<string, string>;
  let admin: string;

  beforeAll(async () => {
    env = { DATABASE_URL: await backend.freshUrl(), LOG_LEVEL: 'warn' };
  });

  it('migrates, creates a key, and serves a recorded visit on the native and Networked lists', T, async () => {
    const migrate = await runCli(['migrate'], env, { command });
    expect(migrate.code, migrate.stderr).toBe(0);
    const key = await runCli(['keys', 'create', '--workspace', 'acme', '--role', 'admin'], env, { command });
    expect(key.code, key.stderr).toBe(0);
    admin = secretFrom(key.stdout);
    const server = await startServerProcess({ ...env, PORT: String(await freePort()) }, ['serve'], command);
    const headers = { 'x-api-key': admin, 'content-type': 'application/json' };
    for (const [id, name] of [['owner', 'Olga Owner'], ['viewer', 'Victor Viewer']]) {
      const put = await fetch(`${server.url}/v1/members/${id}`, { method: 'PUT', headers, body: JSON.stringify({ name, plan: 'premium' }) });
      expect(put.status).toBe(200);
    }
    const visit = await fetch(`${server.url}/v1/visits`, { method: 'POST', headers, body: JSON.stringify({ profileId: 'owner', viewerId: 'viewer', source: 'search' }) });
    expect(visit.status).toBe(201);
    const list = await fetch(`${server.url}/v1/members/owner/visitors`, { headers });
    expect(list.status).toBe(200);
    const body = (await list.json()) as { total: number; viewers: Array<{ viewer: { id: string; name: string } }> };
    expect(body.total).toBe(1);
    expect(body.viewers[0]!.viewer).toMatchObject({ id: 'viewer', name: 'Victor Viewer' });

    const member = await runCli(['keys', 'create', '--workspace', 'acme', '--role', 'member', '--member', 'owner'], env, { command });
    expect(member.code, member.stderr).toBe(0);
    const networked = await fetch(`${server.url}/api/v1/profile/visits?start=0&count=10`, { headers: { 'x-api-key': secretFrom(member.stdout) } });
    expect(networked.status).toBe(200);
    expect(((await networked.json()) as { data: { count: number } }).data.count).toBe(1);

    const bad = await fetch(`${server.url}/v1/visits`, { method: 'POST', headers, body: '{"profileId": 5}' });
    expect(bad.status).toBe(400);
  });

  it('serves the OpenAPI document and the browsable docs with their assets', T, async () => {
    const server = await startServerProcess({ ...env, PORT: String(await freePort()) }, ['serve'], command);
    const doc = (await (await fetch(`${server.url}/openapi.json`)).json()) as { openapi: string; paths: Record<string, unknown> };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toContain('/v1/visits');
    const page = await fetch(`${server.url}/docs/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('swagger-ui');
    const asset = await fetch(`${server.url}/docs/static/swagger-ui.css`);
    expect(asset.status).toBe(200);
    expect((await asset.text()).length).toBeGreaterThan(10_000);
  });
});

describe('the bundle with generated data and several processes', () => {
  it('fills a demo workspace (faker, loaded on demand) and serves it from two WORKERS', T, async () => {
    const url = join(dirname(await sqliteBackend.freshUrl()), 'demo.db');
    const env = { DATABASE_URL: url, LOG_LEVEL: 'warn' };
    const demo = await runCli(['demo', '--no-serve', '--members', '20', '--visits', '100'], env, { command, killAfterMs: 90_000 });
    expect(demo.code, demo.stderr).toBe(0);
    expect(existsSync(url)).toBe(true);
    const key = await runCli(['keys', 'create', '--workspace', 'ops', '--role', 'admin'], env, { command });
    const server = await startServerProcess({ ...env, PORT: String(await freePort()), WORKERS: '2' }, ['serve'], command);
    const ws = await fetch(`${server.url}/v1/workspace`, { headers: { 'x-api-key': secretFrom(key.stdout) } });
    expect(ws.status).toBe(200);
    expect(server.output()).not.toMatch(/error/i);
  });
});
