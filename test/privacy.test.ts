/**
 * One table of privacy and plan expectations, run through the four surfaces that list viewers
 * (Networked, LinkupAPI get_viewers, ConnectSafely visitors, native list): viewer visibility ×
 * owner plan × owner visibility × position in the list. Whatever the surface, the owner sees the
 * same thing, and no surface ever carries the name, id, slug, URL, picture or headline of a
 * viewer it must hide. Also the plans' history horizons and the workspace settings that move them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MemberInput, Plan, Visibility } from '../src/core/index.js';
import { BACKENDS } from './support/backends.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import { auth, postBatch } from './support/assertions.js';
import { SURFACES, entriesOf, type Caller, type Surface } from './fixtures/surfaces.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const VISIBILITIES: Visibility[] = ['full', 'characteristics', 'private'];
const PLANS: Plan[] = ['free', 'premium'];
const POSITIONS = [0, 6] as const;
const FILLERS = ['fill1', 'fill2', 'fill3', 'fill4', 'fill5'];

/** A viewer whose every identifying string is unique, so a leak anywhere in a body is found. */
function subject(n: number, visibility: Visibility, traits: Partial<Pick<MemberInput, 'company' | 'industry' | 'location'>> | null = null): MemberInput {
  const k = String(n).padStart(3, '0');
  return {
    id: `sid${k}Q`,
    name: `Name${k}Q Secret`,
    headline: `Headline${k}Q`,
    imageUrl: `https://img.example.com/pic${k}Q.png`,
    publicIdentifier: `slug${k}Q`,
    profileUrl: `https://net.example.com/in/slug${k}Q`,
    ...(traits ?? { company: `Company${k}Q`, industry: `Industry${k}Q`, location: `Location${k}Q` }),
    visibility,
  };
}

const identitySecrets = (m: MemberInput) => [m.id, m.name!, m.headline!, m.imageUrl!, m.publicIdentifier!, m.profileUrl!];
const traitSecrets = (m: MemberInput) => [m.company, m.industry, m.location].filter((s): s is string => !!s);

interface Row {
  viewer: Visibility;
  plan: Plan;
  ownerMode: Visibility;
  position: (typeof POSITIONS)[number];
  /** For the test name. */
  where: string;
}

const ROWS: Row[] = VISIBILITIES.flatMap((viewer) =>
  PLANS.flatMap((plan) => VISIBILITIES.flatMap((ownerMode) => POSITIONS.map((position) => ({ viewer, plan, ownerMode, position, where: position === 0 ? 'first (position 0)' : 'seventh (position 6)' })))),
);

type Expected =
  | { forbidden: true }
  | { forbidden: false; appearance: Visibility; label: string; hidden: string[] };

/** What docs/rules.md#reading says the owner sees of `m` in the situation of `row`. */
function expectedFor(row: Row, m: MemberInput): Expected {
  if (row.plan === 'free' && row.ownerMode === 'private') return { forbidden: true };
  const blurred = row.plan === 'free' && row.position >= 5;
  const appearance: Visibility = row.viewer === 'full' ? (blurred ? 'characteristics' : 'full') : row.viewer;
  if (appearance === 'full') return { forbidden: false, appearance, label: m.name!, hidden: [] };
  if (appearance === 'characteristics') return { forbidden: false, appearance, label: `Someone at ${m.company}`, hidden: identitySecrets(m) };
  return { forbidden: false, appearance, label: 'Anonymous member', hidden: [...identitySecrets(m), ...traitSecrets(m)] };
}

function expectNoLeak(surface: Surface, text: string, secrets: string[]): void {
  const leaked = secrets.filter((s) => text.includes(s));
  expect(leaked, `${surface.name} revealed ${leaked.join(', ')} in ${text}`).toEqual([]);
}

/** Asserts one entry shows `m` in full, on every field the surface has. */
function expectShownInFull(surface: Surface, e: NonNullable<Awaited<ReturnType<Surface['list']>>['entries']>[number], m: MemberInput): void {
  expect(e.label, surface.name).toBe(m.name);
  expect(e.id, surface.name).toBe(m.id);
  if (e.headline !== undefined) expect(e.headline, surface.name).toBe(m.headline);
  if (e.imageUrl !== undefined) expect(e.imageUrl, surface.name).toBe(m.imageUrl);
  if (e.profileUrl !== undefined) expect(e.profileUrl, surface.name).toBe(m.profileUrl);
  if (e.slug !== undefined) expect(e.slug, surface.name).toBe(m.publicIdentifier);
  if (e.shownInFull !== undefined) expect(e.shownInFull, surface.name).toBe(true);
}

/** Asserts one entry hides `m`'s identity: no id, URL, slug, headline; the surface's own picture at most. */
function expectHidden(surface: Surface, e: NonNullable<Awaited<ReturnType<Surface['list']>>['entries']>[number], m: MemberInput, label: string): void {
  expect(e.label, surface.name).toBe(label);
  expect(e.id, surface.name).toBeNull();
  if (e.headline !== undefined) expect(e.headline, surface.name).toBeNull();
  if (e.profileUrl !== undefined) expect(e.profileUrl, surface.name).toBeNull();
  if (e.slug !== undefined) expect(e.slug, surface.name).toBeNull();
  if (e.imageUrl !== undefined) expect(e.imageUrl, surface.name).not.toBe(m.imageUrl);
  if (e.shownInFull !== undefined) expect(e.shownInFull, surface.name).toBe(false);
}

describe.each(BACKENDS)('privacy and plan rules on every surface, on $name', (backend) => {
  let t: TestApp;
  let admin: string;
  const WS = 'privacy';
  /** Owner id and member key for each (plan, owner mode, viewer visibility). */
  const owners = new Map<string, { id: string; key: string }>();
  /** The subject viewer of each (plan, owner mode, viewer visibility, position). */
  const subjects = new Map<string, MemberInput>();
  const ownerKey = (plan: Plan, ownerMode: Visibility, viewer: Visibility) => `${plan}/${ownerMode}/${viewer}`;
  const subjectKey = (row: Row) => `${ownerKey(row.plan, row.ownerMode, row.viewer)}/${row.position}`;

  beforeAll(async () => {
    t = await startTestApp(backend);
    const now = t.clock.now();
    admin = await t.adminKey(WS);
    const members: MemberInput[] = FILLERS.map((id, i) => ({ id, name: `Filler ${i + 1}`, company: 'Filler Inc', visibility: 'full' }));
    const visits: unknown[] = [];
    let n = 0;
    for (const plan of PLANS) {
      for (const ownerMode of VISIBILITIES) {
        for (const viewer of VISIBILITIES) {
          const id = `owner-${plan}-${ownerMode}-${viewer}`;
          members.push({ id, name: `Owner ${plan} ${ownerMode} ${viewer}`, plan, visibility: ownerMode });
          owners.set(ownerKey(plan, ownerMode, viewer), { id, key: '' });
          const first = subject(++n, viewer);
          const seventh = subject(++n, viewer);
          members.push(first, seventh);
          subjects.set(`${ownerKey(plan, ownerMode, viewer)}/0`, first);
          subjects.set(`${ownerKey(plan, ownerMode, viewer)}/6`, seventh);
          // Newest first: the first subject, five fillers, then the seventh subject.
          visits.push({ profileId: id, viewerId: first.id, viewedAt: now - 1 * MIN, source: 'search' });
          FILLERS.forEach((f, i) => visits.push({ profileId: id, viewerId: f, viewedAt: now - (2 + i) * MIN, source: 'feed' }));
          visits.push({ profileId: id, viewerId: seventh.id, viewedAt: now - 7 * MIN, source: 'profile' });
        }
      }
    }
    await t.members(WS, members);
    await postBatch(t, admin, visits);
    for (const o of owners.values()) o.key = await t.memberKey(WS, o.id);
  });
  afterAll(() => t?.close());

  describe.each(SURFACES)('through $name', (surface) => {
    it.each(ROWS)('$viewer viewer $where, seen by a $plan owner in $ownerMode mode', async (row) => {
      const owner = owners.get(ownerKey(row.plan, row.ownerMode, row.viewer))!;
      const m = subjects.get(subjectKey(row))!;
      const expected = expectedFor(row, m);
      const who: Caller = { key: owner.key, ownerId: owner.id };
      const { res, entries } = await surface.list(t, who);

      // Whatever the outcome, a viewer that must be hidden is nowhere in the body.
      const hidden = expected.forbidden ? [...identitySecrets(m), ...traitSecrets(m)] : expected.hidden;
      expectNoLeak(surface, res.text, hidden);

      if (expected.forbidden) {
        surface.expectPrivateModeForbidden(res);
        return;
      }
      expect(res.status, res.text).toBe(200);
      // The five fillers sit between the two subjects; for a free owner the fifth (position 5) is already blurred.
      expect(entries!.map((e) => e.label).slice(1, 6)).toEqual(
        FILLERS.map((_, i) => (row.plan === 'free' && i + 1 >= 5 ? 'Someone at Filler Inc' : `Filler ${i + 1}`)),
      );
      expect(entries).toHaveLength(7);
      const e = entries![row.position]!;
      if (expected.appearance === 'full') expectShownInFull(surface, e, m);
      else expectHidden(surface, e, m, expected.label);
      if (surface.name === 'native') {
        expect(e.raw.appearance).toBe(expected.appearance);
        expect(e.raw.blurred).toBe(row.plan === 'free' && row.position >= 5);
        // Private viewers carry no traits at all; characteristics ones carry the company.
        expect(e.raw.traits === null).toBe(expected.appearance === 'private');
      }
      if (surface.name === 'LinkupAPI') {
        expect(e.raw.is_blurred).toBe(expected.appearance !== 'full');
        if (expected.appearance !== 'full') expect(e.raw.cta_action).toBe('View');
      }
    });

    it('blurs by position in the whole list, not in the page: the 7th viewer of a free owner stays blurred when fetched alone', async () => {
      const owner = owners.get(ownerKey('free', 'full', 'full'))!;
      const m = subjects.get(`${ownerKey('free', 'full', 'full')}/6`)!;
      const { res, entries } = await entriesOf(surface, t, { key: owner.key, ownerId: owner.id }, { offset: 6, limit: 1 });
      expect(entries).toHaveLength(1);
      expectHidden(surface, entries[0]!, m, `Someone at ${m.company}`);
      expectNoLeak(surface, res.text, identitySecrets(m));
      // And the first viewer fetched alone is in full.
      const first = subjects.get(`${ownerKey('free', 'full', 'full')}/0`)!;
      const page1 = await entriesOf(surface, t, { key: owner.key, ownerId: owner.id }, { offset: 0, limit: 1 });
      expectShownInFull(surface, page1.entries[0]!, first);
    });

    it('a free private-mode owner is refused even through an admin key naming them', async () => {
      const owner = owners.get(ownerKey('free', 'private', 'full'))!;
      const { res } = await surface.list(t, { key: admin, ownerId: owner.id, admin: true });
      surface.expectPrivateModeForbidden(res);
      expectNoLeak(surface, res.text, identitySecrets(subjects.get(`${ownerKey('free', 'private', 'full')}/0`)!));
    });
  });

  describe('labels of hidden viewers fall back from company to industry to location to "A member"', () => {
    const WS2 = 'fallbacks';
    let key2: string;
    const traits = [
      { traits: { company: 'Hive Co', industry: 'Beekeeping', location: 'Paris' }, label: 'Someone at Hive Co' },
      { traits: { company: null, industry: 'Beekeeping', location: 'Lyon' }, label: 'Someone in Beekeeping' },
      { traits: { company: null, industry: null, location: 'Nantes' }, label: 'Someone in Nantes' },
      { traits: { company: null, industry: null, location: null }, label: 'A member' },
    ];
    const premiumOwner = 'fb-premium';
    const freeOwner = 'fb-free';
    const charViewers = traits.map((x, i) => subject(500 + i, 'characteristics', x.traits));
    const blurredViewers = traits.map((x, i) => subject(600 + i, 'full', x.traits));

    beforeAll(async () => {
      const now = t.clock.now();
      await t.members(WS2, [
        { id: premiumOwner, name: 'Premium Fallback Owner', plan: 'premium' },
        { id: freeOwner, name: 'Free Fallback Owner', plan: 'free' },
        ...FILLERS.map((id, i) => ({ id, name: `Filler ${i + 1}` })),
        ...charViewers,
        ...blurredViewers,
      ]);
      key2 = await t.adminKey(WS2);
      await postBatch(t, key2, [
        ...charViewers.map((v, i) => ({ profileId: premiumOwner, viewerId: v.id, viewedAt: now - (i + 1) * MIN })),
        ...FILLERS.map((f, i) => ({ profileId: freeOwner, viewerId: f, viewedAt: now - (i + 1) * MIN })),
        ...blurredViewers.map((v, i) => ({ profileId: freeOwner, viewerId: v.id, viewedAt: now - (10 + i) * MIN })),
      ]);
    });

    it.each(SURFACES)('characteristics viewers of a premium owner, through $name', async (surface) => {
      const { res, entries } = await entriesOf(surface, t, { key: key2, ownerId: premiumOwner, admin: true });
      expect(entries.map((e) => e.label)).toEqual(traits.map((x) => x.label));
      entries.forEach((e, i) => expectHidden(surface, e, charViewers[i]!, traits[i]!.label));
      expectNoLeak(surface, res.text, charViewers.flatMap(identitySecrets));
    });

    it.each(SURFACES)('full viewers blurred beyond the first 5 of a free owner, through $name', async (surface) => {
      const { res, entries } = await entriesOf(surface, t, { key: key2, ownerId: freeOwner, admin: true });
      expect(entries.map((e) => e.label)).toEqual([...FILLERS.map((_, i) => `Filler ${i + 1}`), ...traits.map((x) => x.label)]);
      entries.slice(5).forEach((e, i) => expectHidden(surface, e, blurredViewers[i]!, traits[i]!.label));
      expectNoLeak(surface, res.text, blurredViewers.flatMap(identitySecrets));
    });
  });

  describe('history horizons: free 90 days, premium 365, both workspace settings', () => {
    /** Viewer ages; each viewer visits both owners once. */
    const AGES: Record<string, number> = {
      age10d: 10 * DAY,
      age89d: 89 * DAY + 23 * HOUR,
      age91d: 90 * DAY + 1 * HOUR,
      age364d: 364 * DAY,
      age366d: 366 * DAY,
    };
    const names = (ids: string[]) => ids.map((id) => `Viewer ${id}`);

    async function seedHistory(ws: string): Promise<string> {
      const key = await t.adminKey(ws);
      await t.members(ws, [
        { id: 'h-free', name: 'Free History Owner', plan: 'free' },
        { id: 'h-premium', name: 'Premium History Owner', plan: 'premium' },
        ...Object.keys(AGES).map((id) => ({ id, name: `Viewer ${id}`, company: 'Ages Ltd' })),
      ]);
      // Keep visits older than the default 365-day retention so the plan horizon is what hides them.
      const patch = await t.request('PATCH', '/v1/workspace/settings', { headers: auth(key), body: { retentionDays: 3650 } });
      expect(patch.status, patch.text).toBe(200);
      for (const owner of ['h-free', 'h-premium']) {
        for (const [viewer, age] of Object.entries(AGES)) {
          const rec = await t.request('POST', '/v1/visits', {
            headers: auth(key),
            body: { profileId: owner, viewerId: viewer, viewedAt: t.clock.now() - age, source: 'search' },
          });
          expect(rec.status, rec.text).toBe(201);
        }
      }
      return key;
    }

    let defaultsKey: string;
    beforeAll(async () => {
      defaultsKey = await seedHistory('history');
    });

    it.each(SURFACES)('by default a free owner sees 90 days and a premium owner 365, through $name', async (surface) => {
      const free = await entriesOf(surface, t, { key: defaultsKey, ownerId: 'h-free', admin: true });
      expect(free.entries.map((e) => e.label)).toEqual(names(['age10d', 'age89d']));
      const premium = await entriesOf(surface, t, { key: defaultsKey, ownerId: 'h-premium', admin: true });
      expect(premium.entries.map((e) => e.label)).toEqual(names(['age10d', 'age89d', 'age91d', 'age364d']));
    });

    it('freeHistoryDays and premiumHistoryDays move the horizons on every surface', async () => {
      const key = await seedHistory('history-custom');
      const patch = await t.request('PATCH', '/v1/workspace/settings', { headers: auth(key), body: { freeHistoryDays: 30, premiumHistoryDays: 400 } });
      expect(patch.status, patch.text).toBe(200);
      expect(patch.body.settings).toMatchObject({ freeHistoryDays: 30, premiumHistoryDays: 400 });
      for (const surface of SURFACES) {
        const free = await entriesOf(surface, t, { key, ownerId: 'h-free', admin: true });
        expect(free.entries.map((e) => e.label), surface.name).toEqual(names(['age10d']));
        const premium = await entriesOf(surface, t, { key, ownerId: 'h-premium', admin: true });
        expect(premium.entries.map((e) => e.label), surface.name).toEqual(names(['age10d', 'age89d', 'age91d', 'age364d', 'age366d']));
      }
    });

    it('freeFullViewers changes how many of a free owner\'s viewers are shown in full, on every surface', async () => {
      const ws = 'full-viewers';
      const key = await t.adminKey(ws);
      const viewers = [0, 1, 2, 3].map((i) => subject(700 + i, 'full'));
      await t.members(ws, [{ id: 'fv-owner', name: 'Few Full Viewers', plan: 'free' }, ...viewers]);
      await postBatch(t, key, viewers.map((v, i) => ({ profileId: 'fv-owner', viewerId: v.id, viewedAt: t.clock.now() - (i + 1) * MIN })));

      for (const [setting, inFull] of [[2, 2], [0, 0], [5, 4]] as const) {
        const patch = await t.request('PATCH', '/v1/workspace/settings', { headers: auth(key), body: { freeFullViewers: setting } });
        expect(patch.status, patch.text).toBe(200);
        for (const surface of SURFACES) {
          const { res, entries } = await entriesOf(surface, t, { key, ownerId: 'fv-owner', admin: true });
          expect(entries).toHaveLength(4);
          entries.forEach((e, i) => {
            if (i < inFull) expectShownInFull(surface, e, viewers[i]!);
            else expectHidden(surface, e, viewers[i]!, `Someone at ${viewers[i]!.company}`);
          });
          expectNoLeak(surface, res.text, viewers.slice(inFull).flatMap(identitySecrets));
        }
      }
    });
  });
});
