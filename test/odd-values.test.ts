/**
 * Odd values (empty, huge, lone surrogates, NUL, numbers past int8, wrong types, SQL-looking
 * text) in the body fields, query parameters and path segments of every API's endpoints, on
 * every backend: each gets an answer below 500. bad-input.test.ts checks the exact 4xx and its shape for named cases; this
 * sweeps the combinations nobody would list by hand.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from './support/backends.js';
import { startTestApp, type TestApp } from './support/test-app.js';

const ODD: unknown[] = ['', ' ', 'x'.repeat(10000), '\uD800', '\uFFFF', '😀', -1, 0, 1e308, -1e308, 1.5, 2 ** 63, '9223372036854775808', '-0', 'NaN', 'Infinity', null, true, [], {}, [1], { a: 1 }, '%', '../', "'; drop table x;--", 'a\u0000b'];
// A lone surrogate cannot be URI-encoded: it is sent as the bytes a lax client would send.
const enc = (v: unknown) => {
  try {
    return encodeURIComponent(typeof v === 'string' ? v : JSON.stringify(v));
  } catch {
    return '%ED%A0%80';
  }
};

describe.each(BACKENDS)('odd values on $name', (backend) => {
  let t: TestApp;
  let admin: string;
  let member: string;
  beforeAll(async () => {
    t = await startTestApp(backend);
    await t.members('pw', [{ id: 'owner', name: 'O' }, { id: 'v1', name: 'V' }]);
    admin = await t.adminKey('pw');
    member = await t.memberKey('pw', 'owner');
  });
  afterAll(() => t.close());
  it('every endpoint answers every odd value below 500', async () => {
    const bad: string[] = [];
    const send = async (m: string, p: string, body?: unknown, headers: Record<string, string> = { 'x-api-key': admin }) => {
      const r = await t.request(m, p, { headers, body });
      if (r.status >= 500) bad.push(`${r.status} ${m} ${p} ${JSON.stringify(body)?.slice(0, 100)} -> ${r.text.slice(0, 200)}`);
    };
    for (const v of ODD) {
      const e = enc(v);
      await send('GET', `/v1/members/owner/visitors?since=${e}`);
      await send('GET', `/v1/members/owner/visitors?until=${e}`);
      await send('GET', `/v1/members/owner/visitors?offset=${e}&limit=${e}`);
      await send('GET', `/v1/members/owner/visitors?degrees=${e}`);
      await send('GET', `/v1/members/owner/connections?offset=${e}&limit=${e}`);
      await send('GET', `/v1/members/${e}`);
      await send('PUT', `/v1/members/${e}`, { name: 'x' });
      await send('PUT', `/v1/members/owner/connections/${e}`);
      await send('DELETE', `/v1/members/owner/connections/${e}`);
      await send('DELETE', `/v1/keys/${e}`);
      await send('PUT', `/v1/keys/${e}/credits`, { credits: v });
      await send('PUT', `/v1/members/m2`, { name: v, headline: v, imageUrl: v, plan: v, visibility: v });
      await send('POST', '/v1/visits', { profileId: 'owner', viewerId: 'v1', viewedAt: v, source: v, id: v });
      await send('POST', '/v1/visits', { profileId: v, viewerId: 'v1' });
      await send('POST', '/v1/visits/batch', { visits: [{ profileId: 'owner', viewerId: 'v1', viewedAt: v, id: v, source: v }] });
      await send('POST', '/v1/visits/batch', { visits: [v] });
      await send('POST', '/v1/keys', { role: 'member', memberId: v, name: v, credits: v });
      await send('PATCH', '/v1/workspace/settings', { dedupWindowMs: v, urnPrefix: v, retentionDays: v });
      await send('GET', `/api/v1/profile/visits?start=${e}&count=${e}&userId=owner`);
      await send('GET', `/api/v1/profile/visits?start=0&count=5&userId=${e}`);
      await send('POST', '/v2/profiles', { account_id: v, action: 'get_viewers', params: { count: v, offset: v } });
      await send('POST', '/v2/profiles', { account_id: 'owner', action: v });
      await send('POST', '/linkedin/profile/visitors', { accountId: v, count: v, start: v, timeRange: v, fetchAll: v, maxVisitors: v }, { authorization: `Bearer ${admin}` });
      await send('POST', '/linkedin/profile/visitors', { accountId: 'owner', count: v, start: v }, { authorization: `Bearer ${member}` });
      await send('GET', `/api/v1/profile/visits?start=0&count=5`, undefined, { 'x-api-key': String(v).slice(0, 200).replace(/[^\x20-\x7e]/g, 'x') || 'k' });
    }
    expect(bad).toEqual([]);
  });
});
