/**
 * A 2xx on a write means committed: a visit acknowledged by the real server process is still
 * listed after that process is killed with SIGKILL and started again on the same database.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { BACKENDS, type TestBackend } from './support/backends.js';
import { freePort, killServers, runCli, secretFrom, startServerProcess, type ServerProcess } from './support/processes.js';

const OWNERS = ['o1', 'o2', 'o3', 'o4'];
const VIEWERS = Array.from({ length: 60 }, (_, i) => `p${String(i + 1).padStart(3, '0')}`);
/** Every (owner, viewer) pair once: 240 distinct visits, none a repeat of another. */
const PAIRS = VIEWERS.flatMap((viewerId) => OWNERS.map((profileId) => ({ profileId, viewerId })));

interface Prepared {
  env: Record<string, string>;
  admin: string;
  server: ServerProcess;
}

async function prepare(backend: TestBackend, synchronous: string | null): Promise<Prepared> {
  const env: Record<string, string> = { DATABASE_URL: await backend.freshUrl(), LOG_LEVEL: 'warn' };
  if (synchronous) env.SQLITE_SYNCHRONOUS = synchronous;
  const created = await runCli(['keys', 'create', '--workspace', 'w', '--role', 'admin'], env);
  expect(created.code, created.stderr).toBe(0);
  const admin = secretFrom(created.stdout);
  const server = await startServerProcess({ ...env, PORT: String(await freePort()) });
  const headers = { 'x-api-key': admin, 'content-type': 'application/json' };
  const puts = await Promise.all(
    [...OWNERS.map((id) => ({ id, plan: 'premium' })), ...VIEWERS.map((id) => ({ id, plan: 'free' }))].map(({ id, plan }) =>
      fetch(`${server.url}/v1/members/${id}`, { method: 'PUT', headers, body: JSON.stringify({ name: `Member ${id}`, plan }) }),
    ),
  );
  expect(puts.map((r) => r.status)).toEqual(puts.map(() => 200));
  return { env, admin, server };
}

/**
 * Fires every visit at once and SIGKILLs the server from inside the response callback of the
 * `killAfter`-th acknowledgement. Returns the visits that got a 2xx (whenever it arrived).
 */
async function burstThenKill(p: Prepared, killAfter: number) {
  const headers = { 'x-api-key': p.admin, 'content-type': 'application/json' };
  const acked: Array<{ profileId: string; viewerId: string }> = [];
  let killed = false;
  await Promise.all(
    PAIRS.map((visit) =>
      fetch(`${p.server.url}/v1/visits`, { method: 'POST', headers, body: JSON.stringify({ ...visit, source: 'search' }) }).then(
        (res) => {
          if (res.status >= 200 && res.status < 300) {
            acked.push(visit);
            if (acked.length === killAfter && !killed) {
              killed = true;
              p.server.child.kill('SIGKILL');
            }
          }
        },
        () => undefined, // cut off by the kill: not acknowledged, so no promise was made
      ),
    ),
  );
  // Fewer acknowledgements than expected: still end the process, the assertions below will say why.
  if (!killed) p.server.child.kill('SIGKILL');
  const end = await p.server.exited;
  expect(end.signal).toBe('SIGKILL');
  return acked;
}

async function listedAfterRestart(p: Prepared) {
  const server = await startServerProcess({ ...p.env, PORT: String(await freePort()) });
  const listed = new Set<string>();
  for (const owner of OWNERS) {
    const res = await fetch(`${server.url}/v1/members/${owner}/visitors?limit=100`, { headers: { 'x-api-key': p.admin } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { viewers: Array<{ viewer: { id: string }; viewCount: number }> };
    for (const v of body.viewers) {
      expect(v.viewCount).toBe(1);
      listed.add(`${owner}<-${v.viewer.id}`);
    }
  }
  server.child.kill('SIGTERM');
  expect((await server.exited).code).toBe(0);
  return listed;
}

describe.each(BACKENDS)('durability on $name', (backend) => {
  afterEach(() => killServers());
  const modes = backend.name === 'sqlite' ? ['normal', 'full'] : [null];

  describe.each(modes)('SQLITE_SYNCHRONOUS=%s', (synchronous) => {
    it('every visit acknowledged before a SIGKILL right after the last 2xx is listed after restart', { timeout: 120_000 }, async () => {
      const p = await prepare(backend, synchronous);
      const acked = await burstThenKill(p, PAIRS.length);
      expect(acked).toHaveLength(PAIRS.length);
      const listed = await listedAfterRestart(p);
      expect(listed.size).toBe(PAIRS.length);
      for (const v of acked) expect(listed.has(`${v.profileId}<-${v.viewerId}`), `${v.profileId}<-${v.viewerId}`).toBe(true);
    });

    it('every visit acknowledged before a SIGKILL in the middle of a burst is listed after restart', { timeout: 120_000 }, async () => {
      const p = await prepare(backend, synchronous);
      const acked = await burstThenKill(p, Math.floor(PAIRS.length / 2));
      expect(acked.length).toBeGreaterThanOrEqual(Math.floor(PAIRS.length / 2));
      const listed = await listedAfterRestart(p);
      const lost = acked.filter((v) => !listed.has(`${v.profileId}<-${v.viewerId}`));
      expect(lost).toEqual([]);
    });
  });
});
