/**
 * WORKERS=2: `serve` as a primary with two server processes sharing one port and one database.
 * Concurrent writes through both land exactly once, reads agree, SIGTERM stops everything
 * cleanly, and workers do not outlive a primary that was killed.
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { BACKENDS } from './support/backends.js';
import { until } from './support/assertions.js';
import { freePort, killServers, runCli, secretFrom, startServerProcess } from './support/processes.js';

const T = { timeout: 120_000 };

/** Pids of the live child processes of `pid`, from /proc. */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const task of readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean)) out.push(Number(task));
  return out;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}


describe.each(BACKENDS)('serve with WORKERS=2 on $name', (backend) => {
  afterEach(() => killServers());

  async function start() {
    const env = { DATABASE_URL: await backend.freshUrl(), LOG_LEVEL: 'warn', WORKERS: '2' };
    const key = await runCli(['keys', 'create', '--workspace', 'acme'], env);
    expect(key.code).toBe(0);
    const server = await startServerProcess({ ...env, PORT: String(await freePort()) });
    return { server, headers: { 'x-api-key': secretFrom(key.stdout), 'content-type': 'application/json' } };
  }

  it('runs two server processes that record concurrent visits exactly once and read the same list', T, async () => {
    const { server, headers } = await start();
    await until(() => childrenOf(server.child.pid!).length === 2, 10_000);
    expect(childrenOf(server.child.pid!)).toHaveLength(2);

    for (let i = 0; i <= 40; i++) {
      const put = await fetch(`${server.url}/v1/members/m${i}`, { method: 'PUT', headers, body: JSON.stringify({ name: `Member ${i}`, plan: 'premium' }) });
      expect(put.status).toBeLessThan(300);
    }
    // 200 distinct viewers of m0 over fresh connections, so both workers take a share.
    const answers = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        fetch(`${server.url}/v1/visits`, {
          method: 'POST',
          headers: { ...headers, connection: 'close' },
          body: JSON.stringify({ profileId: 'm0', viewerId: `m${1 + (i % 40)}`, source: 'search', id: `visit-${i}` }),
        }).then((r) => r.status),
      ),
    );
    expect(answers.every((s) => s === 201 || s === 200)).toBe(true);

    for (let i = 0; i < 4; i++) {
      const list = await fetch(`${server.url}/v1/members/m0/visitors?limit=100`, { headers: { ...headers, connection: 'close' } });
      const body = (await list.json()) as { total: number; viewers: { viewCount: number }[] };
      expect(list.status).toBe(200);
      expect(body.total).toBe(40);
      // Within the dedup window each viewer counts once, whichever worker took the visit.
      expect(body.viewers.map((v) => v.viewCount)).toEqual(Array(40).fill(1));
    }
  });

  it('stops every process on SIGTERM with exit code 0', T, async () => {
    const { server } = await start();
    await until(() => childrenOf(server.child.pid!).length === 2, 10_000);
    const workers = childrenOf(server.child.pid!);
    server.child.kill('SIGTERM');
    expect(await server.exited).toEqual({ code: 0, signal: null });
    expect(await until(() => workers.every((w) => !alive(w)), 10_000)).toBe(true);
  });

  it('a worker that dies is replaced and the service keeps answering', T, async () => {
    const { server, headers } = await start();
    await until(() => childrenOf(server.child.pid!).length === 2, 10_000);
    const [victim, survivor] = childrenOf(server.child.pid!);
    process.kill(victim!, 'SIGKILL');
    const replaced = () => {
      const now = childrenOf(server.child.pid!);
      return now.length === 2 && !now.includes(victim!);
    };
    expect(await until(replaced, 15_000)).toBe(true);
    expect(childrenOf(server.child.pid!)).toContain(survivor);
    // The replacement may still be starting; the port must be served again within seconds.
    let answered = false;
    for (let i = 0; i < 100 && !answered; i++) {
      answered = await fetch(`${server.url}/healthz`, { headers: { connection: 'close' } }).then(
        (r) => r.ok,
        () => false,
      );
      if (!answered) await new Promise((r) => setTimeout(r, 100));
    }
    expect(answered).toBe(true);
    for (let i = 0; i < 4; i++) {
      const res = await fetch(`${server.url}/v1/workspace`, { headers: { ...headers, connection: 'close' } });
      expect(res.status).toBe(200);
    }
  });

  it('workers shut down when the primary is killed outright', T, async () => {
    const { server } = await start();
    await until(() => childrenOf(server.child.pid!).length === 2, 10_000);
    const workers = childrenOf(server.child.pid!);
    server.child.kill('SIGKILL');
    await server.exited;
    expect(await until(() => workers.every((w) => !alive(w)), 10_000)).toBe(true);
    await expect(fetch(`${server.url}/healthz`)).rejects.toThrow();
  });
});
