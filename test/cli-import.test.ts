/**
 * `members import` and `visits import` as a real process on both backends: NDJSON and CSV (by
 * extension, by --format, from standard input), bad lines reported with their number and reason
 * without stopping the rest (--strict stops), a re-run imports nothing twice, plain progress lines
 * when not on a terminal, and what was imported is what the API then shows.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from './support/backends.js';
import { freePort, killServers, runCli, secretFrom, startServerProcess, type ServerProcess } from './support/processes.js';

const T = { timeout: 120_000 };
const DAY = 86_400_000;

describe.each(BACKENDS)('imports on $name', (backend) => {
  let env: Record<string, string>;
  let dir: string;
  let server: ServerProcess;
  let admin: string;
  const now = Date.now();

  beforeAll(async () => {
    env = { DATABASE_URL: await backend.freshUrl(), LOG_LEVEL: 'warn', AUTH_CACHE_MS: '0' };
    dir = mkdtempSync(join(tmpdir(), 'pv-import-'));
  });
  afterAll(() => killServers());

  it('imports members from CSV (quoted commas and line breaks), reporting a bad row by its line number', T, async () => {
    const csv = join(dir, 'members.csv');
    writeFileSync(
      csv,
      [
        'id,name,company,plan,visibility',
        'ann,"Ann, the First",Acme,premium,full',
        'bob,Bob,"Multi',
        'line Corp",free,characteristics',
        'cat,Cat,Acme,gold,full',
        'dan,Dan,,free,private',
        'eve,Eve',
        '',
      ].join('\n'),
    );
    const res = await runCli(['members', 'import', csv, '--workspace', 'acme'], env);
    expect(res.code, res.stderr).toBe(2);
    expect(res.stderr).toContain('line 5: plan must be one of free, premium');
    expect(res.stderr).toContain('line 7: 2 fields where the header has 5');
    expect(res.stdout).toMatch(/imported members from .*members\.csv: 5 records, 3 imported \(3 created\), 2 refused/);

    const key = await runCli(['keys', 'create', '--workspace', 'acme'], env);
    admin = secretFrom(key.stdout);
    server = await startServerProcess({ ...env, PORT: String(await freePort()) });
    const bob = (await (await fetch(`${server.url}/v1/members/bob`, { headers: { 'x-api-key': admin } })).json()) as Record<string, unknown>;
    expect(bob).toMatchObject({ id: 'bob', company: 'Multi\nline Corp', plan: 'free', visibility: 'characteristics' });
    const ann = (await (await fetch(`${server.url}/v1/members/ann`, { headers: { 'x-api-key': admin } })).json()) as Record<string, unknown>;
    expect(ann.name).toBe('Ann, the First');
  });

  it('imports members as NDJSON from standard input with --format, updating on a re-run', T, async () => {
    const lines = [{ id: 'fay', name: 'Fay', plan: 'premium' }, { id: 'ann', name: 'Ann', plan: 'premium' }].map((m) => JSON.stringify(m)).join('\n');
    const res = await runCli(['members', 'import', '-', '--format', 'ndjson', '--workspace', 'acme'], env, { input: `${lines}\n` });
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toContain('imported members from standard input: 2 records, 2 imported (1 created, 1 updated), 0 refused');
    const noFormat = await runCli(['members', 'import', '-', '--workspace', 'acme'], env, { input: lines });
    expect(noFormat.code).toBe(1);
    expect(noFormat.stderr).toContain('needs --format ndjson or --format csv');
  });

  it('imports visits from NDJSON, then a re-run imports nothing twice and the API shows each visit once', T, async () => {
    const file = join(dir, 'visits.ndjson');
    const iso = new Date(now - 2 * DAY).toISOString();
    writeFileSync(
      file,
      [
        JSON.stringify({ profileId: 'ann', viewerId: 'bob', viewedAt: now - DAY, source: 'search' }),
        JSON.stringify({ profileId: 'ann', viewerId: 'dan', viewedAt: iso }),
        '{"profileId": "ann", "viewerId":',
        JSON.stringify({ profileId: 'ann', viewerId: 'ghost', viewedAt: now - DAY }),
        JSON.stringify({ id: 'v-1', profileId: 'bob', viewerId: 'ann', viewedAt: now - 3 * DAY }),
        JSON.stringify({ profileId: 'bob', viewerId: 'fay' }),
        JSON.stringify({ profileId: 'ann', viewerId: 'fay', viewedAt: now - 4 * DAY, colour: 'red' }),
      ].join('\n'),
    );
    const first = await runCli(['visits', 'import', file, '--workspace', 'acme', '--batch-size', '2'], env);
    expect(first.code, first.stderr).toBe(2);
    expect(first.stderr).toMatch(/^line 3: not valid JSON/m);
    expect(first.stderr).toContain('line 4: unknown member: ghost');
    expect(first.stderr).toContain('line 6: viewedAt is required in an import when the visit has no id');
    expect(first.stderr).toContain('line 7: colour is not allowed');
    // Not a terminal: plain progress lines, one per batch.
    expect(first.stderr).toMatch(/^visits: \d+ records read \(\d+%\), \d+ imported, \d+ refused$/m);
    expect(first.stdout).toMatch(/: 7 records, 3 imported \(3 recorded\), 4 refused/);

    const again = await runCli(['visits', 'import', file, '--workspace', 'acme'], env);
    expect(again.stdout).toMatch(/: 7 records, 0 imported \(3 replayed\), 4 refused/);

    const list = (await (await fetch(`${server.url}/v1/members/ann/visitors`, { headers: { 'x-api-key': admin } })).json()) as any;
    // bob (characteristics) then dan (private), each counted once.
    expect(list.viewers.map((v: any) => [v.appearance, v.viewCount])).toEqual([
      ['characteristics', 1],
      ['private', 1],
    ]);
  });

  it('imports visits from CSV with epoch or ISO times; --strict stops at the first refused line', T, async () => {
    const file = join(dir, 'visits.csv');
    writeFileSync(
      file,
      [
        'profileId,viewerId,viewedAt,source',
        `fay,ann,${now - DAY},profile`,
        `fay,nobody,${now - DAY},profile`,
        `fay,bob,${new Date(now - DAY).toISOString()},search`,
      ].join('\n'),
    );
    const strict = await runCli(['visits', 'import', file, '--workspace', 'acme', '--strict', '--batch-size', '1'], env);
    expect(strict.code).toBe(1);
    expect(strict.stderr).toContain('line 3: unknown member: nobody');
    expect(strict.stdout).toMatch(/^stopped visits from .*: 2 records, 1 imported \(1 recorded\), 1 refused/);
    expect(strict.stdout).toContain('--strict: stopped at the first refused line');

    const rest = await runCli(['visits', 'import', file, '--workspace', 'acme'], env);
    expect(rest.code).toBe(2);
    expect(rest.stdout).toMatch(/: 3 records, 1 imported \(1 replayed, 1 recorded\), 1 refused/);
    const list = (await (await fetch(`${server.url}/v1/members/fay/visitors`, { headers: { 'x-api-key': admin } })).json()) as any;
    // ann (full) and bob (characteristics), both viewing fay once, on the same day.
    expect(list.viewers.map((v: any) => [v.appearance, v.viewCount, v.lastSource]).sort()).toEqual([
      ['characteristics', 1, 'search'],
      ['full', 1, 'profile'],
    ]);
  });

  it('refuses a CSV with an unknown column, a missing file and an unknown extension, with what to do', T, async () => {
    const file = join(dir, 'bad.csv');
    writeFileSync(file, 'profile,viewer\na,b\n');
    const bad = await runCli(['visits', 'import', file, '--workspace', 'acme'], env);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('line 1: unknown columns profile, viewer; the columns are id, profileId, viewerId, viewedAt, source');
    const missing = await runCli(['visits', 'import', join(dir, 'nope.ndjson'), '--workspace', 'acme'], env);
    expect(missing.stderr).toContain('no such file');
    const txt = join(dir, 'visits.txt');
    writeFileSync(txt, '');
    const unknown = await runCli(['visits', 'import', txt, '--workspace', 'acme'], env);
    expect(unknown.stderr).toContain('add --format ndjson or --format csv');
  });

  it('--strict reports only the first of two bad lines, whether the core or the parser refuses the second', T, async () => {
    const visit = (viewerId: string, daysAgo: number) => JSON.stringify({ profileId: 'fay', viewerId, viewedAt: now - daysAgo * DAY, source: 'profile' });
    const cases = [
      // The core refuses line 2 when line 3, which cannot be read, makes the batch be stored.
      { name: 'then-unreadable.ndjson', lines: [visit('ann', 3), visit('nobody', 3), '{not json'], records: 2, imported: 1 },
      // The core refuses lines 2 and 3 of one batch; line 4, stored with them, counts as imported.
      { name: 'two-unknown.ndjson', lines: [visit('ann', 4), visit('nobody', 4), visit('nobody2', 4), visit('bob', 4)], records: 4, imported: 2 },
    ];
    for (const c of cases) {
      const file = join(dir, c.name);
      writeFileSync(file, c.lines.join('\n') + '\n');
      const res = await runCli(['visits', 'import', file, '--workspace', 'acme', '--strict'], env);
      expect(res.code, c.name).toBe(1);
      expect(res.stderr.match(/^line \d+: .*$/gm), c.name).toEqual(['line 2: unknown member: nobody']);
      expect(res.stdout, c.name).toMatch(new RegExp(`^stopped visits from .*: ${c.records} records, ${c.imported} imported \\(${c.imported} recorded\\), 1 refused`));
    }
  });
});
