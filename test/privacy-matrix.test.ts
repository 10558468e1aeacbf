/**
 * The privacy matrix: every surface that lists viewers (native, Networked, LinkupAPI,
 * ConnectSafely) with every parameter it takes, on every backend.
 *
 * 1. Who a free owner sees in full is the `freeFullViewers` most recent of ALL their viewers in
 *    the plan horizon: no time bound, `timeRange`, page size, offset, `fetchAll` or dialect
 *    changes it (docs/compatibility.md, "Who is shown in full"). Degrees only for those.
 * 2. A hidden entry (private, characteristics, or blurred by the plan) carries nothing a member
 *    could match: secrets planted in every field and in the id of hidden viewers appear in no
 *    body or header, times are whole hours and ConnectSafely's text never gives minutes
 *    (docs/compatibility.md, "Hidden entries"). Insights too (docs/insights.md), member and
 *    workspace, with every range, granularity, zone and breakdown choice.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MemberInput, Visibility } from '../src/core/index.js';
import { BACKENDS } from './support/backends.js';
import { startTestApp, type HttpResponse, type TestApp } from './support/test-app.js';
import { auth, postBatch } from './support/assertions.js';
import { SURFACES, entriesOf, type Caller, type Entry, type PageRequest, type Surface } from './fixtures/surfaces.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

/** Every combination of the values given for each key. */
function combos(axes: Record<string, readonly (string | number | boolean | undefined)[]>): Record<string, string | number | boolean>[] {
  let out: Record<string, string | number | boolean>[] = [{}];
  for (const [key, values] of Object.entries(axes)) {
    out = out.flatMap((c) => values.map((v) => (v === undefined ? c : { ...c, [key]: v })));
  }
  return out;
}

/** Each surface's parameters, every value that changes which viewers a page holds. */
function requestsFor(surface: Surface, now: number): PageRequest[] {
  const pages = combos({ offset: [0, 1, 2, 4, 5, 7], limit: [1, 2, 3, 5, 20] }).map((p) => ({ offset: p.offset as number, limit: p.limit as number }));
  switch (surface.name) {
    case 'Networked':
    case 'LinkupAPI':
      return pages;
    case 'native': {
      const ranges = combos({
        since: [undefined, now - 7 * DAY, now - 30 * DAY, now - 100 * DAY],
        until: [undefined, now - 30 * MIN, now - 1 * DAY, now - 10 * DAY, now - 45 * DAY],
        degrees: [true, false],
      }).filter((r) => r.since === undefined || r.until === undefined || (r.until as number) > (r.since as number));
      return ranges.flatMap((extra) => [0, 2, 5].flatMap((offset) => [1, 3, 20].map((limit) => ({ offset, limit, extra }))));
    }
    case 'ConnectSafely': {
      const bodies = combos({
        timeRange: ['past_7_days', 'past_30_days', 'past_90_days', 'past_1_year', 'PAST_7_DAYS', 'PAST_30_DAYS', 'PAST_90_DAYS', 'ALL_TIME', undefined],
        fetchAll: [false, true],
        maxVisitors: [1, 3, 20],
      });
      return bodies.flatMap((extra) => [0, 2, 6].flatMap((offset) => [1, 5, 20].map((limit) => ({ offset, limit, extra }))));
    }
  }
}

/** Whether an entry shows its viewer in full, on every surface (some say it, others show an id). */
const inFull = (e: Entry) => (e.shownInFull !== undefined ? e.shownInFull : e.id !== null);

/** The response's body and every header value, as one text to search for secrets. */
const everything = (res: HttpResponse) => [res.text, ...[...res.headers.entries()].map(([k, v]) => `${k}: ${v}`)].join('\n');

describe.each(BACKENDS)('privacy matrix on $name', (backend) => {
  let t: TestApp;
  let admin: string;
  let ownerKey: string;
  let now: number;
  const WS = 'matrix';
  const OWNER = 'm-owner';

  /**
   * The owner's viewers, most recent first by their LAST visit. Some also visited long before,
   * so an `until` bound lists them with an older time and in another order than the whole list:
   * the case where a position in the filtered list used to decide who was in full.
   */
  const VIEWERS: { id: string; visibility: Visibility; ages: number[] }[] = [
    { id: 'mv01', visibility: 'full', ages: [10 * MIN, 50 * DAY] },
    { id: 'mv02', visibility: 'full', ages: [2 * HOUR] },
    { id: 'mv03', visibility: 'private', ages: [3 * HOUR] },
    { id: 'mv04', visibility: 'full', ages: [4 * HOUR, 35 * DAY] },
    { id: 'mv05', visibility: 'characteristics', ages: [5 * HOUR] },
    // From here on a free owner sees them blurred, whatever the request.
    { id: 'mv06', visibility: 'full', ages: [2 * DAY] },
    { id: 'mv07', visibility: 'full', ages: [8 * DAY, 9 * DAY] },
    { id: 'mv08', visibility: 'full', ages: [20 * DAY] },
    { id: 'mv09', visibility: 'characteristics', ages: [25 * DAY] },
    { id: 'mv10', visibility: 'full', ages: [40 * DAY] },
    { id: 'mv11', visibility: 'full', ages: [60 * DAY] },
    { id: 'mv12', visibility: 'full', ages: [85 * DAY] },
    // Beyond the free plan's 90 days: never listed.
    { id: 'mv13', visibility: 'full', ages: [100 * DAY] },
  ];
  const TOP = new Set(VIEWERS.slice(0, 5).map((v) => v.id));
  const FULL_IDS = new Set(VIEWERS.filter((v) => TOP.has(v.id) && v.visibility === 'full').map((v) => v.id));
  /** Each viewer is recognised by its label: its name in full, "Someone at <its company>" hidden. */
  const viewerOfLabel = new Map<string, string>();

  beforeAll(async () => {
    t = await startTestApp(backend);
    now = t.clock.now();
    admin = await t.adminKey(WS);
    const members: MemberInput[] = [{ id: OWNER, name: 'Matrix Owner', plan: 'free' }];
    for (const v of VIEWERS) {
      members.push({ id: v.id, name: `Name ${v.id}`, company: `Company ${v.id}`, industry: `Industry ${v.id}`, location: `Location ${v.id}`, visibility: v.visibility });
      viewerOfLabel.set(`Name ${v.id}`, v.id);
      viewerOfLabel.set(`Someone at Company ${v.id}`, v.id);
    }
    await t.members(WS, members);
    await postBatch(
      t,
      admin,
      VIEWERS.flatMap((v) => v.ages.map((age) => ({ profileId: OWNER, viewerId: v.id, viewedAt: now - age }))),
    );
    // Connections, so that degrees are worked out and can be checked.
    for (const v of VIEWERS) {
      const res = await t.request('PUT', `/v1/members/${OWNER}/connections/${v.id}`, { headers: auth(admin) });
      expect(res.status, res.text).toBe(200);
    }
    ownerKey = await t.memberKey(WS, OWNER);
  });
  afterAll(() => t?.close());

  describe.each(SURFACES)('through $name', (surface) => {
    it('shows in full exactly the 5 most recent viewers of the horizon, whatever the parameters and key', async () => {
      const seenInFull = new Set<string>();
      let entriesSeen = 0;
      for (const who of [{ key: ownerKey, ownerId: OWNER }, { key: admin, ownerId: OWNER, admin: true }] as Caller[]) {
        for (const page of requestsFor(surface, now)) {
          const { entries } = await entriesOf(surface, t, who, page);
          const where = `${surface.name} ${JSON.stringify(page)}`;
          for (const e of entries) {
            entriesSeen++;
            const id = viewerOfLabel.get(e.label) ?? null;
            if (inFull(e)) {
              expect(e.id, where).toBe(id);
              expect(FULL_IDS.has(e.id!), `${where}: ${e.id} shown in full`).toBe(true);
              seenInFull.add(e.id!);
            } else if (id !== null) {
              // A viewer recognised by its (hidden) label: never one the plan shows in full.
              expect(FULL_IDS.has(id), `${where}: ${id} hidden`).toBe(false);
            }
            if (surface.name === 'native' && e.raw.degree !== null) expect(inFull(e), where).toBe(true);
            if (surface.name === 'ConnectSafely' && e.raw.connectionDegree !== null) expect(inFull(e), where).toBe(true);
            if (surface.name === 'LinkupAPI' && !inFull(e)) expect(e.raw.cta_action, where).toBe('View');
          }
        }
      }
      // Not vacuous: the requests did list viewers, and each of those shown in full was met.
      expect(entriesSeen).toBeGreaterThan(100);
      expect([...seenInFull].sort()).toEqual([...FULL_IDS].sort());
    });
  });

  it('native with degrees: the viewers in full have a degree even when a time bound pages them from elsewhere', async () => {
    // mv01's only visit before `until` is 50 days old: it comes after mv04 (35 days) here, yet
    // it is still the most recent viewer of the whole list.
    const { entries } = await entriesOf(native(), t, { key: ownerKey, ownerId: OWNER }, { extra: { until: now - 30 * DAY, degrees: true } });
    expect(entries.map((e) => viewerOfLabel.get(e.label))).toEqual(['mv04', 'mv10', 'mv01', 'mv11', 'mv12']);
    expect(entries.map((e) => e.raw.appearance)).toEqual(['full', 'characteristics', 'full', 'characteristics', 'characteristics']);
    expect(entries.map((e) => e.raw.degree)).toEqual(['1st', null, '1st', null, null]);
  });

  describe('hidden entries carry nothing a member could match', () => {
    const WS2 = 'planted';
    const FREE = 'p-free';
    const PREMIUM = 'p-premium';
    let key2: string;
    /** Planted in every field of every hidden viewer but the one its label names, and in its id. */
    const secret = (n: number, field: string) => `SECRET${n}${field}X`;
    /** Visits at odd instants: the exact ms must never come out for a hidden viewer. */
    const oddAge = (n: number) => n * HOUR + 17 * MIN + 23_456 + n;
    const hidden: { m: MemberInput; age: number; label: string }[] = [];
    const labelFields = ['company', 'industry', 'location', null] as const;
    /** Full viewers of the free owner, all more recent than the hidden ones. */
    const SHOWN = 5;

    beforeAll(async () => {
      const n0 = t.clock.now();
      key2 = await t.adminKey(WS2);
      const members: MemberInput[] = [
        { id: FREE, name: 'Free Planted Owner', plan: 'free' },
        { id: PREMIUM, name: 'Premium Planted Owner', plan: 'premium' },
      ];
      const visits: unknown[] = [];
      for (let i = 0; i < SHOWN; i++) {
        members.push({ id: `shown${i}`, name: `Shown ${i}` });
        visits.push({ profileId: FREE, viewerId: `shown${i}`, viewedAt: n0 - (i + 1) * MIN });
      }
      let n = 0;
      // Every kind of hidden entry, with each field its label may name (or none).
      for (const visibility of ['private', 'characteristics', 'full'] as const) {
        for (const labelField of labelFields) {
          n++;
          const m: MemberInput = {
            id: secret(n, 'id'),
            name: secret(n, 'name'),
            headline: secret(n, 'headline'),
            imageUrl: `https://img.example.com/${secret(n, 'image')}.png`,
            publicIdentifier: secret(n, 'slug'),
            profileUrl: `https://net.example.com/in/${secret(n, 'url')}`,
            company: null,
            industry: null,
            location: null,
            visibility,
          };
          // The label's characteristic is plain (a private viewer's is a secret too, its label
          // names none); any lower in the fallback order are secrets.
          const at = labelField === null ? labelFields.length - 1 : labelFields.indexOf(labelField);
          labelFields.forEach((f, i) => {
            if (f === null) return;
            if (i === at) m[f] = visibility === 'private' ? secret(n, f) : `Plain${n}`;
            else if (i > at) m[f] = secret(n, f);
          });
          const label =
            visibility === 'private' ? 'Anonymous member' : labelField === null ? 'A member' : `Someone ${labelField === 'company' ? 'at' : 'in'} Plain${n}`;
          members.push(m);
          hidden.push({ m, age: oddAge(n), label });
          for (const owner of visibility === 'full' ? [FREE] : [FREE, PREMIUM]) {
            visits.push({ profileId: owner, viewerId: m.id, viewedAt: n0 - oddAge(n), source: 'search' });
          }
        }
      }
      await t.members(WS2, members);
      await postBatch(t, key2, visits);
    });

    const secretsOf = (m: MemberInput) =>
      [m.id, m.name, m.headline, m.imageUrl, m.publicIdentifier, m.profileUrl, m.company, m.industry, m.location].filter(
        (s): s is string => typeof s === 'string' && s.includes('SECRET'),
      );
    /** The exact instants of hidden visits, as a number and as ISO text. */
    const exactTimes = () => hidden.flatMap(({ age }) => [String(now - age), new Date(now - age).toISOString()]);

    it.each(SURFACES)('no planted secret, exact time or minute of a hidden viewer comes out of $name, with any parameters', async (surface) => {
      const leaks = [...hidden.flatMap(({ m }) => secretsOf(m)), ...exactTimes()];
      let hiddenSeen = 0;
      for (const owner of [FREE, PREMIUM]) {
        for (const who of [{ key: key2, ownerId: owner, admin: true }] as Caller[]) {
          for (const page of requestsFor(surface, now).filter((_, i) => i % 4 === 0)) {
            const { res, entries } = await entriesOf(surface, t, who, page);
            const text = everything(res);
            const where = `${surface.name} ${owner} ${JSON.stringify(page)}`;
            const leaked = leaks.filter((s) => text.includes(s));
            expect(leaked, `${where} revealed ${leaked.join(', ')}`).toEqual([]);
            for (const e of entries) {
              if (inFull(e)) continue;
              hiddenSeen++;
              expect(hidden.some((h) => h.label === e.label), where).toBe(true);
              expectCoarseTime(surface, e, where);
            }
          }
        }
      }
      expect(hiddenSeen).toBeGreaterThan(10);
    });

    it.each(SURFACES)('each hidden entry of $name has its label and at most that one characteristic, at a whole hour', async (surface) => {
      const { entries } = await entriesOf(surface, t, { key: key2, ownerId: FREE, admin: true }, { limit: 50, extra: surface.name === 'ConnectSafely' ? { maxVisitors: 50 } : {} });
      expect(entries.slice(0, SHOWN).every(inFull)).toBe(true);
      const rest = entries.slice(SHOWN);
      expect(rest.map((e) => e.label)).toEqual(hidden.map((h) => h.label));
      rest.forEach((e, i) => {
        expect(inFull(e)).toBe(false);
        expect(e.id).toBeNull();
        const h = hidden[i]!;
        if (surface.name === 'native') {
          const traits = e.raw.traits;
          if (h.m.visibility === 'private') expect(traits).toBeNull();
          else expect(Object.values(traits).filter((v) => v !== null).length).toBeLessThanOrEqual(1);
          expect(e.raw.lastViewedAt).toBe(Math.floor((now - h.age) / HOUR) * HOUR);
          expect(e.raw.firstViewedAt % HOUR).toBe(0);
        }
        if (surface.name === 'Networked') {
          // `industries` only when the label itself is "Someone in <industry>".
          expect(e.raw.industries).toBe(h.label === `Someone in ${h.m.industry}` && h.m.visibility !== 'private' ? h.m.industry : '');
          expect(e.raw.timeStamp).toBe(Math.floor((now - h.age) / HOUR) * HOUR);
        }
      });
    });

    it('no planted secret or exact time of a hidden viewer comes out of insights, member or workspace, with any parameters', async () => {
      const leaks = [...hidden.flatMap(({ m }) => secretsOf(m)), ...exactTimes()];
      const queries = combos({ range: ['7d', '30d', '90d', '365d'], granularity: ['day', 'week'], tz: ['UTC', 'Asia/Kathmandu'], breakdowns: [true, false] });
      let answered = 0;
      for (const q of queries) {
        const qs = new URLSearchParams(Object.entries(q).map(([k, v]): [string, string] => [k, String(v)])).toString();
        for (const path of [`/v1/members/${FREE}/insights?${qs}`, `/v1/members/${PREMIUM}/insights?${qs}`, `/v1/insights?${qs.replace(/&?breakdowns=\w+/, '')}`]) {
          const res = await t.request('GET', path, { headers: auth(key2) });
          // A free owner's breakdowns and year are refused (403); what is refused must not leak either.
          const text = everything(res);
          const leaked = leaks.filter((x) => text.includes(x));
          expect(leaked, `${path} revealed ${leaked.join(', ')}`).toEqual([]);
          if (res.status === 200) answered++;
        }
      }
      expect(answered).toBeGreaterThan(queries.length);
    });

    it('ConnectSafely gives a hidden viewer of the last hour in hours (from the hour its visit fell in), never minutes', async () => {
      const ws = 'planted-recent';
      const key = await t.adminKey(ws);
      await t.members(ws, [
        { id: 'r-owner', name: 'Recent Owner', plan: 'premium' },
        { id: 'r-shown', name: 'Recent Shown' },
        { id: 'r-hidden', name: 'Recent Hidden', company: 'Plain', visibility: 'characteristics' },
      ]);
      await postBatch(t, key, [
        { profileId: 'r-owner', viewerId: 'r-shown', viewedAt: now - 47 * MIN },
        { profileId: 'r-owner', viewerId: 'r-hidden', viewedAt: now - 46 * MIN },
      ]);
      const res = await t.request('POST', '/linkedin/profile/visitors', { headers: { authorization: `Bearer ${key}` }, body: { accountId: 'r-owner' } });
      expect(res.status, res.text).toBe(200);
      expect(res.body.visitors.map((v: any) => [v.name, v.viewedAt])).toEqual([
        // 46 minutes before a clock standing on a whole hour: floored to the hour before.
        ['Someone at Plain', 'Viewed 1h ago'],
        ['Recent Shown', 'Viewed 47m ago'],
      ]);
    });
  });
});

function native(): Surface {
  return SURFACES.find((s) => s.name === 'native')!;
}

/** A hidden entry's time: a whole hour where the surface gives a time, never minutes in text. */
function expectCoarseTime(surface: Surface, e: Entry, where: string): void {
  if (surface.name === 'native') {
    expect(e.raw.lastViewedAt % HOUR, where).toBe(0);
    expect(e.raw.firstViewedAt % HOUR, where).toBe(0);
  }
  if (surface.name === 'Networked') expect(e.raw.timeStamp % HOUR, where).toBe(0);
  if (surface.name === 'ConnectSafely') {
    expect(e.raw.viewedAt, where).toMatch(/^Viewed (within the hour|\d+(h|d|w|mo|y) ago)$/);
  }
}
