/**
 * A visit id names one visit (docs/privacy-controls.md, "Visit ids"): a retry with the same
 * profile, viewer and time is replayed; the id sent again with another profile, viewer or
 * time is a 409 conflict (in a batch, that item alone), and the stored visit stays as it was.
 * A visit deduplicated without an id answers without a `visitId`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from './support/backends.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import { allVisitors, auth, expectNativeError } from './support/assertions.js';
import { AppError } from '../src/core/index.js';
import { presentNativeError } from '../src/http/native/presenters.js';
import { presentNetworkedError } from '../src/http/networked/presenters.js';
import { linkupErrorPresenter } from '../src/http/linkup/presenters.js';
import { presentConnectSafelyError } from '../src/http/connectsafely/presenters.js';

describe('a conflict in each API\'s error shape', () => {
  // Only the native API records visits today; a conflict on any API's path is a 409 in its shape.
  const err = new AppError('conflict', 'visit id x was already used for another visit (different viewerId)', { field: 'id', differs: ['viewerId'] });
  it('native, Networked, LinkupAPI and ConnectSafely answer 409', () => {
    expect(presentNativeError(err)).toEqual({ status: 409, body: { error: { code: 'conflict', message: err.message, details: { field: 'id', differs: ['viewerId'] } } } });
    expect(presentNetworkedError(err)).toEqual({ status: 409, body: { data: null, error: true, message: err.message } });
    expect(linkupErrorPresenter(() => 0)(err, { body: { action: 'record' }, url: '/v2/profiles' })).toEqual({
      status: 409,
      body: { success: false, error: { code: 'INVALID_PARAMS', message: err.message }, metadata: { action: 'record', credits_consumed: 0, timestamp: new Date(0).toISOString() } },
    });
    expect(presentConnectSafelyError(err)).toEqual({ status: 409, body: { success: false, error: err.message, code: 'CONFLICT', message: err.message } });
  });
});

const MIN = 60_000;

describe.each(BACKENDS)('visit id conflicts on $name', (backend) => {
  let t: TestApp;
  let admin: string;
  let now: number;
  const WS = 'ids';

  beforeAll(async () => {
    t = await startTestApp(backend);
    now = t.clock.now();
    admin = await t.adminKey(WS);
    await t.members(WS, [
      { id: 'owner', name: 'Owner', plan: 'premium' },
      { id: 'other-owner', name: 'Other Owner', plan: 'premium' },
      { id: 'viewer', name: 'Viewer' },
      { id: 'viewer2', name: 'Viewer Two' },
    ]);
  });
  afterAll(() => t?.close());

  const visit = (body: unknown) => t.request('POST', '/v1/visits', { headers: auth(admin), body });

  it('a retry is replayed; the id with another profile, viewer or time is a 409 naming what differs', async () => {
    const first = { id: 'c-1', profileId: 'owner', viewerId: 'viewer', viewedAt: now - 10 * MIN };
    const r1 = await visit(first);
    expect(r1.status, r1.text).toBe(201);
    expect(r1.body).toEqual({ status: 'recorded', visitId: 'c-1' });

    const again = await visit(first);
    expect(again.status, again.text).toBe(200);
    expect(again.body).toEqual({ status: 'replayed', visitId: 'c-1' });

    // Without a time the retry is dated by the server: its time is no evidence of another visit.
    const untimed = await visit({ id: 'c-1', profileId: 'owner', viewerId: 'viewer' });
    expect(untimed.status, untimed.text).toBe(200);
    expect(untimed.body.status).toBe('replayed');

    for (const [change, field] of [
      [{ profileId: 'other-owner' }, 'profileId'],
      [{ viewerId: 'viewer2' }, 'viewerId'],
      [{ viewedAt: now - 11 * MIN }, 'viewedAt'],
    ] as const) {
      const res = await visit({ ...first, ...change });
      expectNativeError(res, 409, /already used for another visit/);
      expect(res.body.error.code).toBe('conflict');
      expect(res.body.error.details).toEqual({ field: 'id', differs: [field] });
    }

    // The stored visit is the first one, counted once; nothing was stored for the others.
    const owner = await allVisitors(t, admin, 'owner');
    expect(owner.viewers.map((v) => [v.viewer.id, v.viewCount, v.lastViewedAt])).toEqual([['viewer', 1, now - 10 * MIN]]);
    expect((await allVisitors(t, admin, 'other-owner')).total).toBe(0);
  });

  it('in a batch only the conflicting item is refused, including an id repeated within the batch', async () => {
    const res = await t.request('POST', '/v1/visits/batch', {
      headers: auth(admin),
      body: {
        visits: [
          { id: 'b-1', profileId: 'other-owner', viewerId: 'viewer', viewedAt: now - 30 * MIN },
          { id: 'b-1', profileId: 'other-owner', viewerId: 'viewer2', viewedAt: now - 30 * MIN },
          { id: 'c-1', profileId: 'owner', viewerId: 'viewer2', viewedAt: now - 10 * MIN },
          { id: 'c-1', profileId: 'owner', viewerId: 'viewer', viewedAt: now - 10 * MIN },
          { id: 'b-2', profileId: 'other-owner', viewerId: 'viewer2', viewedAt: now - 20 * MIN },
        ],
      },
    });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ recorded: 2, replayed: 1, rejected: 2 });
    expect(res.body.results.map((r: any) => [r.status, r.visitId ?? null, r.error?.code ?? null, r.error?.details?.differs ?? null])).toEqual([
      ['recorded', 'b-1', null, null],
      ['error', null, 'conflict', ['viewerId']],
      ['error', null, 'conflict', ['viewerId']],
      ['replayed', 'c-1', null, null],
      ['recorded', 'b-2', null, null],
    ]);
    const list = await allVisitors(t, admin, 'other-owner');
    expect(list.viewers.map((v) => [v.viewer.id, v.viewCount]).sort()).toEqual([
      ['viewer', 1],
      ['viewer2', 1],
    ]);
  });

  it('a conflicting item carrying inline profiles leaves no trace: its new member is not created', async () => {
    const res = await t.request('POST', '/v1/visits/batch', {
      headers: auth(admin),
      body: {
        visits: [
          { id: 'c-1', profileId: 'owner', viewerId: 'newbie', viewedAt: now - 10 * MIN, viewer: { name: 'New Viewer' } },
          { id: 'n-1', profileId: 'owner', viewerId: 'newbie2', viewedAt: now - 9 * MIN, viewer: { name: 'Second' } },
          { id: 'n-1', profileId: 'other-owner', viewerId: 'newbie3', viewedAt: now - 9 * MIN, viewer: { name: 'Third' } },
        ],
      },
    });
    expect(res.status, res.text).toBe(200);
    expect(res.body.results.map((r: any) => [r.status, r.error?.details?.differs ?? null])).toEqual([
      ['error', ['viewerId']],
      ['recorded', null],
      ['error', ['profileId', 'viewerId']],
    ]);
    // The third item repeats an id of its own batch: that is known to conflict only after the
    // batch is written (the first use might have been deduplicated, leaving the id free), so its
    // inline profile was merged (docs/privacy-controls.md, "Visit ids", known limit).
    for (const [id, status] of [['newbie', 404], ['newbie2', 200], ['newbie3', 200]] as const) {
      expect((await t.request('GET', `/v1/members/${id}`, { headers: auth(admin) })).status, id).toBe(status);
    }
    const single = await visit({ id: 'c-1', profileId: 'owner', viewerId: 'newbie4', viewer: { name: 'Fourth' } });
    expectNativeError(single, 409);
    expect((await t.request('GET', '/v1/members/newbie4', { headers: auth(admin) })).status).toBe(404);
  });

  it('a visit deduplicated without an id answers without a visitId, in a single call and in a batch', async () => {
    const first = await visit({ profileId: 'owner', viewerId: 'viewer2', viewedAt: now - 3 * MIN });
    expect(first.status, first.text).toBe(201);
    expect(first.body.visitId).toMatch(/^\d+$/);
    const dup = await visit({ profileId: 'owner', viewerId: 'viewer2', viewedAt: now - 2 * MIN });
    expect(dup.status, dup.text).toBe(200);
    expect(dup.body).toEqual({ status: 'deduplicated' });
    expect(dup.text).not.toContain('visitId');

    const batch = await t.request('POST', '/v1/visits/batch', {
      headers: auth(admin),
      body: { visits: [{ profileId: 'owner', viewerId: 'viewer2', viewedAt: now - 1 * MIN }, { profileId: 'owner', viewerId: 'owner' }] },
    });
    expect(batch.status, batch.text).toBe(200);
    expect(batch.body.results).toEqual([
      { index: 0, status: 'deduplicated' },
      { index: 1, status: 'self_view' },
    ]);
    // With an id, a deduplicated visit still answers with it.
    const withId = await visit({ id: 'd-1', profileId: 'owner', viewerId: 'viewer2', viewedAt: now - 1 * MIN });
    expect(withId.body).toEqual({ status: 'deduplicated', visitId: 'd-1' });
  });
});
