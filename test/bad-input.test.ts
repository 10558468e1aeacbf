/**
 * Bad input on every endpoint gets a 4xx with a clear message in that dialect's error shape,
 * never a 500: wrong types, huge numbers, negative offsets, missing headers, malformed JSON,
 * oversized bodies, wrong content types, unknown routes and wrong methods, text PostgreSQL
 * cannot store (NUL, lone UTF-16 surrogates), and what the framework refuses before any route
 * (malformed percent-encoding, over-long path parameters, over-large headers or query strings).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from './support/backends.js';
import { startTestApp, type HttpResponse, type TestApp } from './support/test-app.js';
import { expectNativeError, expectNetworkedError } from './support/assertions.js';

type Dialect = 'native' | 'networked';

interface Case {
  name: string;
  method: string;
  path: string;
  /** Objects are sent as JSON; strings are sent as-is (with content-type application/json unless `headers` says otherwise). */
  body?: unknown;
  headers?: Record<string, string>;
  /** Which key to send; `admin` by default. */
  as?: 'admin' | 'none';
  status: number | number[];
  message?: RegExp;
  dialect?: Dialect;
}

const KEY_ID = '{keyId}';
const long = (n: number, c = 'x') => c.repeat(n);

/** Every route of the service with a body that would be valid, for the header tests. */
const ROUTES: Array<{ method: string; path: string; body?: unknown; dialect: Dialect }> = [
  { method: 'GET', path: '/v1/workspace', dialect: 'native' },
  { method: 'PATCH', path: '/v1/workspace/settings', body: { dedupWindowMs: 1000 }, dialect: 'native' },
  { method: 'PUT', path: '/v1/members/m1', body: { name: 'M' }, dialect: 'native' },
  { method: 'GET', path: '/v1/members/owner', dialect: 'native' },
  { method: 'GET', path: '/v1/members/owner/visitors', dialect: 'native' },
  { method: 'GET', path: '/v1/members/owner/connections', dialect: 'native' },
  { method: 'PUT', path: '/v1/members/owner/connections/v1', dialect: 'native' },
  { method: 'DELETE', path: '/v1/members/owner/connections/v1', dialect: 'native' },
  { method: 'POST', path: '/v1/visits', body: { profileId: 'owner', viewerId: 'v1' }, dialect: 'native' },
  { method: 'POST', path: '/v1/visits/batch', body: { visits: [] }, dialect: 'native' },
  { method: 'GET', path: '/v1/keys', dialect: 'native' },
  { method: 'POST', path: '/v1/keys', body: { role: 'admin' }, dialect: 'native' },
  { method: 'DELETE', path: `/v1/keys/${KEY_ID}`, dialect: 'native' },
  { method: 'PUT', path: `/v1/keys/${KEY_ID}/credits`, body: { credits: 5 }, dialect: 'native' },
  { method: 'GET', path: '/api/v1/profile/visits?start=0&count=10&userId=owner', dialect: 'networked' },
  { method: 'GET', path: '/v1/audit', dialect: 'native' },
  { method: 'GET', path: '/v1/members/owner/export', dialect: 'native' },
];

const CASES: Case[] = [
  // --- PUT /v1/members/:id
  { name: 'member name is a number', method: 'PUT', path: '/v1/members/m1', body: { name: 123 }, status: 400, message: /name/ },
  { name: 'member name is a boolean', method: 'PUT', path: '/v1/members/m1', body: { name: true }, status: 400, message: /name/ },
  { name: 'member headline is an array', method: 'PUT', path: '/v1/members/m1', body: { headline: ['CTO'] }, status: 400, message: /headline/ },
  { name: 'member plan is unknown', method: 'PUT', path: '/v1/members/m1', body: { plan: 'gold' }, status: 400, message: /plan/ },
  { name: 'member visibility is unknown', method: 'PUT', path: '/v1/members/m1', body: { visibility: 'hidden' }, status: 400, message: /visibility/ },
  { name: 'member has an unknown field', method: 'PUT', path: '/v1/members/m1', body: { nickname: 'x' }, status: 400, message: /nickname/ },
  { name: 'member name too long', method: 'PUT', path: '/v1/members/m1', body: { name: long(513) }, status: 400, message: /name/ },
  { name: 'member imageUrl too long', method: 'PUT', path: '/v1/members/m1', body: { imageUrl: long(2049) }, status: 400, message: /imageUrl/ },
  { name: 'member body is an array', method: 'PUT', path: '/v1/members/m1', body: '[]', status: 400, message: /body/ },
  { name: 'member body is null', method: 'PUT', path: '/v1/members/m1', body: 'null', status: 400, message: /body/ },
  { name: 'member body is a JSON string', method: 'PUT', path: '/v1/members/m1', body: '"Ada"', status: 400, message: /body/ },
  { name: 'member body is malformed JSON', method: 'PUT', path: '/v1/members/m1', body: '{"name":', status: 400, message: /JSON/ },
  { name: 'member body empty with a JSON content-type', method: 'PUT', path: '/v1/members/m1', body: '', status: 400, message: /empty/i },
  { name: 'member body missing', method: 'PUT', path: '/v1/members/m1', status: 400, message: /body/ },
  {
    name: 'member body as a form',
    method: 'PUT',
    path: '/v1/members/m1',
    body: 'name=Ada',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    status: 415,
    message: /media type/i,
  },
  { name: 'member body as XML', method: 'PUT', path: '/v1/members/m1', body: '<name/>', headers: { 'content-type': 'application/xml' }, status: 415, message: /media type/i },
  {
    name: 'member body as text/plain',
    method: 'PUT',
    path: '/v1/members/m1',
    body: 'Ada',
    headers: { 'content-type': 'text/plain' },
    status: 415,
    message: /media type "text\/plain".*application\/json/,
  },
  { name: 'member id of 129 characters', method: 'PUT', path: `/v1/members/${long(129)}`, body: { name: 'M' }, status: 400, message: /memberId/ },
  { name: 'member id of 129 characters (GET)', method: 'GET', path: `/v1/members/${long(129)}`, status: 400, message: /memberId/ },
  { name: 'unknown member', method: 'GET', path: '/v1/members/ghost', status: 404, message: /ghost/ },

  // --- GET /v1/members/:id/visitors
  { name: 'visitors offset negative', method: 'GET', path: '/v1/members/owner/visitors?offset=-1', status: 400, message: /offset/ },
  { name: 'visitors offset not a number', method: 'GET', path: '/v1/members/owner/visitors?offset=abc', status: 400, message: /offset/ },
  { name: 'visitors offset huge', method: 'GET', path: '/v1/members/owner/visitors?offset=99999999999999999999', status: 400, message: /offset/ },
  { name: 'visitors offset 1e20', method: 'GET', path: '/v1/members/owner/visitors?offset=1e20', status: 400, message: /offset/ },
  { name: 'visitors limit zero', method: 'GET', path: '/v1/members/owner/visitors?limit=0', status: 400, message: /limit/ },
  { name: 'visitors limit over 100', method: 'GET', path: '/v1/members/owner/visitors?limit=101', status: 400, message: /limit/ },
  { name: 'visitors limit negative', method: 'GET', path: '/v1/members/owner/visitors?limit=-1', status: 400, message: /limit/ },
  { name: 'visitors limit fractional', method: 'GET', path: '/v1/members/owner/visitors?limit=1.5', status: 400, message: /limit/ },
  { name: 'visitors limit repeated', method: 'GET', path: '/v1/members/owner/visitors?limit=1&limit=2', status: 400, message: /limit/ },
  { name: 'visitors since not a number', method: 'GET', path: '/v1/members/owner/visitors?since=yesterday', status: 400, message: /since/ },
  { name: 'visitors since negative', method: 'GET', path: '/v1/members/owner/visitors?since=-5', status: 400, message: /since/ },
  { name: 'visitors until equals since', method: 'GET', path: '/v1/members/owner/visitors?since=5&until=5', status: 400, message: /until/ },
  { name: 'visitors until before since', method: 'GET', path: '/v1/members/owner/visitors?since=10&until=5', status: 400, message: /until/ },
  { name: 'visitors degrees not a boolean', method: 'GET', path: '/v1/members/owner/visitors?degrees=maybe', status: 400, message: /degrees/ },
  { name: 'visitors of an unknown member', method: 'GET', path: '/v1/members/ghost/visitors', status: 404, message: /ghost/ },

  // --- connections
  { name: 'connections offset negative', method: 'GET', path: '/v1/members/owner/connections?offset=-1', status: 400, message: /offset/ },
  { name: 'connections limit huge', method: 'GET', path: '/v1/members/owner/connections?limit=100000', status: 400, message: /limit/ },
  { name: 'connections limit zero', method: 'GET', path: '/v1/members/owner/connections?limit=0', status: 400, message: /limit/ },
  { name: 'connections of an unknown member', method: 'GET', path: '/v1/members/ghost/connections', status: 404, message: /ghost/ },
  { name: 'connection to oneself', method: 'PUT', path: '/v1/members/owner/connections/owner', status: 400, message: /themselves/ },
  { name: 'connection to an unknown member', method: 'PUT', path: '/v1/members/owner/connections/ghost', status: 404, message: /ghost/ },
  { name: 'disconnection from an unknown member', method: 'DELETE', path: '/v1/members/owner/connections/ghost', status: 404, message: /ghost/ },

  // --- POST /v1/visits
  { name: 'visit body empty object', method: 'POST', path: '/v1/visits', body: {}, status: 400, message: /profileId/ },
  { name: 'visit without viewerId', method: 'POST', path: '/v1/visits', body: { profileId: 'owner' }, status: 400, message: /viewerId/ },
  { name: 'visit profileId empty', method: 'POST', path: '/v1/visits', body: { profileId: '', viewerId: 'v1' }, status: 400, message: /profileId/ },
  { name: 'visit profileId too long', method: 'POST', path: '/v1/visits', body: { profileId: long(129), viewerId: 'v1' }, status: 400, message: /profileId/ },
  { name: 'visit profileId is a number', method: 'POST', path: '/v1/visits', body: { profileId: 5, viewerId: 'v1' }, status: 400, message: /profileId/ },
  { name: 'visit viewedAt is text', method: 'POST', path: '/v1/visits', body: { profileId: 'owner', viewerId: 'v1', viewedAt: 'yesterday' }, status: 400, message: /viewedAt/ },
  {
    name: 'visit viewedAt is a numeric string',
    method: 'POST',
    path: '/v1/visits',
    // An instant within the test clock's accepted range, sent as text.
    body: { profileId: 'owner', viewerId: 'v1', viewedAt: String(Date.UTC(2026, 10, 1, 11)) },
    status: 400,
    message: /viewedAt must be/,
  },
  { name: 'visit viewedAt is a boolean', method: 'POST', path: '/v1/visits', body: { profileId: 'owner', viewerId: 'v1', viewedAt: true }, status: 400, message: /viewedAt must be/ },
  { name: 'visit viewedAt 1e300', method: 'POST', path: '/v1/visits', body: { profileId: 'owner', viewerId: 'v1', viewedAt: 1e300 }, status: 400, message: /viewedAt/ },
  {
    name: 'visit viewedAt beyond any double (1e400)',
    method: 'POST',
    path: '/v1/visits',
    body: '{"profileId":"owner","viewerId":"v1","viewedAt":1e400}',
    status: 400,
    message: /viewedAt/,
  },
  { name: 'visit viewedAt negative', method: 'POST', path: '/v1/visits', body: { profileId: 'owner', viewerId: 'v1', viewedAt: -1 }, status: 400, message: /viewedAt/ },
  { name: 'visit viewedAt fractional', method: 'POST', path: '/v1/visits', body: { profileId: 'owner', viewerId: 'v1', viewedAt: 1.5 }, status: 400, message: /viewedAt/ },
  { name: 'visit source unknown', method: 'POST', path: '/v1/visits', body: { profileId: 'owner', viewerId: 'v1', source: 'tv' }, status: 400, message: /source/ },
  { name: 'visit has an unknown field', method: 'POST', path: '/v1/visits', body: { profileId: 'owner', viewerId: 'v1', extra: 1 }, status: 400, message: /extra/ },
  { name: 'visit profile is a string', method: 'POST', path: '/v1/visits', body: { profileId: 'owner', viewerId: 'v1', profile: 'x' }, status: 400, message: /profile/ },
  {
    name: 'visit inline profile plan unknown',
    method: 'POST',
    path: '/v1/visits',
    body: { profileId: 'owner', viewerId: 'v1', profile: { plan: 'gold' } },
    status: 400,
    message: /plan/,
  },
  {
    name: 'visit inline viewer name too long',
    method: 'POST',
    path: '/v1/visits',
    body: { profileId: 'owner', viewerId: 'v1', viewer: { name: long(513) } },
    status: 400,
    message: /name/,
  },
  { name: 'visit id empty', method: 'POST', path: '/v1/visits', body: { profileId: 'owner', viewerId: 'v1', id: '' }, status: 400, message: /id/ },
  { name: 'visit id is a number', method: 'POST', path: '/v1/visits', body: { profileId: 'owner', viewerId: 'v1', id: 5 }, status: 400, message: /id/ },
  { name: 'visit body malformed JSON', method: 'POST', path: '/v1/visits', body: '{"profileId":"owner",', status: 400, message: /JSON/ },
  { name: 'visit body is an array', method: 'POST', path: '/v1/visits', body: '[{"profileId":"owner","viewerId":"v1"}]', status: 400, message: /body/ },
  {
    name: 'visit body with a __proto__ key',
    method: 'POST',
    path: '/v1/visits',
    body: '{"profileId":"owner","viewerId":"v1","__proto__":{"admin":true}}',
    status: 400,
  },
  {
    name: 'visit body with a vendor JSON content-type',
    method: 'POST',
    path: '/v1/visits',
    body: '{"profileId":"owner","viewerId":"v1"}',
    headers: { 'content-type': 'application/vnd.api+json' },
    status: 415,
    message: /media type/i,
  },

  // --- POST /v1/visits/batch
  { name: 'batch without visits', method: 'POST', path: '/v1/visits/batch', body: {}, status: 400, message: /visits/ },
  { name: 'batch visits is a string', method: 'POST', path: '/v1/visits/batch', body: { visits: 'x' }, status: 400, message: /visits/ },
  { name: 'batch visits is null', method: 'POST', path: '/v1/visits/batch', body: { visits: null }, status: 400, message: /visits/ },
  { name: 'batch body is null', method: 'POST', path: '/v1/visits/batch', body: 'null', status: 400, message: /visits/ },
  { name: 'batch body is a bare array', method: 'POST', path: '/v1/visits/batch', body: '[]', status: 400, message: /visits/ },
  { name: 'batch body malformed JSON', method: 'POST', path: '/v1/visits/batch', body: '{"visits":[', status: 400, message: /JSON/ },
  { name: 'batch body missing', method: 'POST', path: '/v1/visits/batch', status: 400, message: /visits|body/ },

  // --- API keys
  { name: 'key without role', method: 'POST', path: '/v1/keys', body: {}, status: 400, message: /role/ },
  { name: 'key role unknown', method: 'POST', path: '/v1/keys', body: { role: 'root' }, status: 400, message: /role/ },
  { name: 'member key without memberId', method: 'POST', path: '/v1/keys', body: { role: 'member' }, status: 400, message: /memberId/ },
  { name: 'member key for an unknown member', method: 'POST', path: '/v1/keys', body: { role: 'member', memberId: 'ghost' }, status: 404, message: /ghost/ },
  { name: 'admin key with a memberId', method: 'POST', path: '/v1/keys', body: { role: 'admin', memberId: 'owner' }, status: 400, message: /memberId/ },
  { name: 'key credits negative', method: 'POST', path: '/v1/keys', body: { role: 'admin', credits: -1 }, status: 400, message: /credits/ },
  { name: 'key credits huge', method: 'POST', path: '/v1/keys', body: { role: 'admin', credits: 1e20 }, status: 400, message: /credits/ },
  { name: 'key credits text', method: 'POST', path: '/v1/keys', body: { role: 'admin', credits: 'ten' }, status: 400, message: /credits/ },
  { name: 'key credits fractional', method: 'POST', path: '/v1/keys', body: { role: 'admin', credits: 1.5 }, status: 400, message: /credits/ },
  { name: 'key name too long', method: 'POST', path: '/v1/keys', body: { role: 'admin', name: long(201) }, status: 400, message: /name/ },
  { name: 'revoke an unknown key', method: 'DELETE', path: '/v1/keys/key_doesnotexist', status: 404, message: /key_doesnotexist/ },
  { name: 'revoke a key id of 65 characters', method: 'DELETE', path: `/v1/keys/${long(65)}`, status: 400, message: /keyId/ },
  { name: 'credits of an unknown key', method: 'PUT', path: '/v1/keys/key_doesnotexist/credits', body: { credits: 5 }, status: 404, message: /key_doesnotexist/ },
  { name: 'credits text', method: 'PUT', path: `/v1/keys/${KEY_ID}/credits`, body: { credits: 'ten' }, status: 400, message: /credits/ },
  { name: 'credits numeric string', method: 'PUT', path: `/v1/keys/${KEY_ID}/credits`, body: { credits: '5' }, status: 400, message: /credits/ },
  { name: 'credits negative', method: 'PUT', path: `/v1/keys/${KEY_ID}/credits`, body: { credits: -5 }, status: 400, message: /credits/ },
  { name: 'credits huge', method: 'PUT', path: `/v1/keys/${KEY_ID}/credits`, body: { credits: 1e300 }, status: 400, message: /credits/ },
  { name: 'credits missing', method: 'PUT', path: `/v1/keys/${KEY_ID}/credits`, body: {}, status: 400, message: /credits/ },
  { name: 'credits body missing', method: 'PUT', path: `/v1/keys/${KEY_ID}/credits`, status: 400, message: /body/ },

  // --- workspace settings
  { name: 'dedup window negative', method: 'PATCH', path: '/v1/workspace/settings', body: { dedupWindowMs: -1 }, status: 400, message: /dedupWindowMs/ },
  { name: 'dedup window huge', method: 'PATCH', path: '/v1/workspace/settings', body: { dedupWindowMs: 1e15 }, status: 400, message: /dedupWindowMs/ },
  { name: 'dedup window text', method: 'PATCH', path: '/v1/workspace/settings', body: { dedupWindowMs: 'long' }, status: 400, message: /dedupWindowMs/ },
  { name: 'dedup window numeric string', method: 'PATCH', path: '/v1/workspace/settings', body: { dedupWindowMs: '5' }, status: 400, message: /dedupWindowMs/ },
  { name: 'retention zero days', method: 'PATCH', path: '/v1/workspace/settings', body: { retentionDays: 0 }, status: 400, message: /retentionDays/ },
  { name: 'retention below the premium history', method: 'PATCH', path: '/v1/workspace/settings', body: { retentionDays: 364 }, status: 400, message: /retentionDays/ },
  { name: 'premium history beyond retention', method: 'PATCH', path: '/v1/workspace/settings', body: { premiumHistoryDays: 400 }, status: 400, message: /retentionDays/ },

  // --- audit log and export
  { name: 'audit limit zero', method: 'GET', path: '/v1/audit?limit=0', status: 400, message: /limit/ },
  { name: 'audit since text', method: 'GET', path: '/v1/audit?since=yesterday', status: 400, message: /since/ },
  { name: 'audit after negative', method: 'GET', path: '/v1/audit?after=-1', status: 400, message: /after/ },
  { name: 'export format unknown', method: 'GET', path: '/v1/members/owner/export?format=xml', status: 400, message: /format/ },
  { name: 'export of an unknown member', method: 'GET', path: '/v1/members/nobody/export', status: 404, message: /nobody/ },

  // --- visit ids
  { name: 'visit id reused for another viewer', method: 'POST', path: '/v1/visits', body: { id: 'bad-once', profileId: 'id-viewer', viewerId: 'id-owner' }, status: 409, message: /already used/ },
  { name: 'free full viewers fractional', method: 'PATCH', path: '/v1/workspace/settings', body: { freeFullViewers: 1.5 }, status: 400, message: /freeFullViewers/ },
  { name: 'urn prefix is a number', method: 'PATCH', path: '/v1/workspace/settings', body: { urnPrefix: 5 }, status: 400, message: /urnPrefix/ },
  { name: 'urn prefix too long', method: 'PATCH', path: '/v1/workspace/settings', body: { urnPrefix: long(129) }, status: 400, message: /urnPrefix/ },
  { name: 'unknown setting', method: 'PATCH', path: '/v1/workspace/settings', body: { colour: 'blue' }, status: 400, message: /colour/ },
  { name: 'settings body null', method: 'PATCH', path: '/v1/workspace/settings', body: 'null', status: 400, message: /body/ },
  { name: 'settings body malformed', method: 'PATCH', path: '/v1/workspace/settings', body: '{dedupWindowMs: 5}', status: 400, message: /JSON/ },

  // --- Networked
  { name: 'Networked userId of 129 characters', method: 'GET', path: `/api/v1/profile/visits?start=0&count=1&userId=${long(129)}`, status: 400, message: /userId/, dialect: 'networked' },
  { name: 'Networked start negative', method: 'GET', path: '/api/v1/profile/visits?start=-1&count=1&userId=owner', status: 400, message: /start/, dialect: 'networked' },
  { name: 'Networked count huge', method: 'GET', path: '/api/v1/profile/visits?start=0&count=1e12&userId=owner', status: 400, message: /count/, dialect: 'networked' },

  // --- the NUL character: PostgreSQL cannot store it in text, so no backend accepts it
  { name: 'member name holds a NUL', method: 'PUT', path: '/v1/members/m1', body: { name: 'A\u0000da' }, status: 400, message: /name must not contain the NUL/ },
  { name: 'member id in the path holds a NUL', method: 'PUT', path: '/v1/members/m%001', body: { name: 'Ada' }, status: 400, message: /memberId must not contain the NUL/ },
  { name: 'member read with a NUL in its id', method: 'GET', path: '/v1/members/m%001', status: 400, message: /memberId must not contain the NUL/ },
  { name: 'visitors of an id holding a NUL', method: 'GET', path: '/v1/members/o%00wner/visitors', status: 400, message: /memberId must not contain the NUL/ },
  { name: 'connection to an id holding a NUL', method: 'PUT', path: '/v1/members/owner/connections/v%001', status: 400, message: /Id must not contain the NUL/ },
  { name: 'visit profileId holds a NUL', method: 'POST', path: '/v1/visits', body: { profileId: 'own\u0000er', viewerId: 'v1' }, status: 400, message: /profileId must not contain the NUL/ },
  { name: 'visit clientId holds a NUL', method: 'POST', path: '/v1/visits', body: { profileId: 'owner', viewerId: 'v1', clientId: 'c\u0000' }, status: 400, message: /clientId/ },
  { name: 'visit viewer headline holds a NUL', method: 'POST', path: '/v1/visits', body: { profileId: 'owner', viewerId: 'v1', viewer: { headline: '\u0000' } }, status: 400, message: /headline/ },
  { name: 'key name holds a NUL', method: 'POST', path: '/v1/keys', body: { role: 'admin', name: 'ops\u0000' }, status: 400, message: /name/ },
  { name: 'urn prefix holds a NUL', method: 'PATCH', path: '/v1/workspace/settings', body: { urnPrefix: 'urn:\u0000' }, status: 400, message: /urnPrefix/ },
  { name: 'Networked userId holds a NUL', method: 'GET', path: '/api/v1/profile/visits?start=0&count=1&userId=ow%00ner', status: 400, message: /userId/, dialect: 'networked' },

  // --- unknown routes
  { name: 'unknown top-level route', method: 'GET', path: '/nope', status: 404, message: /nope/, as: 'none' },
  { name: 'unknown native route', method: 'GET', path: '/v1/nope', status: 404, message: /nope/ },
  { name: 'wrong method on a native route', method: 'DELETE', path: '/v1/workspace', status: 405, message: /use GET, HEAD/ },
  { name: 'unknown Networked route', method: 'GET', path: '/api/v1/profile/visitz?start=0&count=1', status: 404, message: /visitz/, dialect: 'networked' },
  { name: 'wrong method on the Networked route', method: 'POST', path: '/api/v1/profile/visits?start=0&count=1', body: {}, status: 405, message: /use GET/, dialect: 'networked' },

  // --- lone UTF-16 surrogates: PostgreSQL's driver would replace them (two ids could merge), so no backend accepts them
  { name: 'member name holds a lone high surrogate', method: 'PUT', path: '/v1/members/m1', body: { name: 'A\ud800da' }, status: 400, message: /name must not contain a lone UTF-16 surrogate/ },
  { name: 'member headline ends in a lone high surrogate', method: 'PUT', path: '/v1/members/m1', body: { headline: 'CTO \ud83d' }, status: 400, message: /headline must not contain a lone/ },
  { name: 'member company holds a lone low surrogate', method: 'PUT', path: '/v1/members/m1', body: { company: '\udc00Acme' }, status: 400, message: /company must not contain a lone/ },
  { name: 'member imageUrl holds a lone surrogate', method: 'PUT', path: '/v1/members/m1', body: { imageUrl: 'https://x/\udfff.png' }, status: 400, message: /imageUrl must not contain a lone/ },
  { name: 'visit profileId holds a lone surrogate', method: 'POST', path: '/v1/visits', body: { profileId: 'own\ud800er', viewerId: 'v1' }, status: 400, message: /profileId must not contain a lone/ },
  { name: 'visit viewerId holds a lone surrogate', method: 'POST', path: '/v1/visits', body: { profileId: 'owner', viewerId: 'v\udbff1' }, status: 400, message: /viewerId must not contain a lone/ },
  { name: 'visit id holds a lone surrogate', method: 'POST', path: '/v1/visits', body: { profileId: 'owner', viewerId: 'v1', id: 'visit-\ud800' }, status: 400, message: /\bid must not contain a lone/ },
  {
    name: 'visit inline viewer name holds a lone surrogate',
    method: 'POST',
    path: '/v1/visits',
    body: { profileId: 'owner', viewerId: 'brand-new', viewer: { name: 'N\udc01' } },
    status: 400,
    message: /viewer.name must not contain a lone/,
  },
  { name: 'key name holds a lone surrogate', method: 'POST', path: '/v1/keys', body: { role: 'admin', name: 'ops\ud800' }, status: 400, message: /name must not contain a lone/ },
  { name: 'member key memberId holds a lone surrogate', method: 'POST', path: '/v1/keys', body: { role: 'member', memberId: 'own\ud800' }, status: 400, message: /memberId must not contain a lone/ },
  { name: 'urn prefix holds a lone surrogate', method: 'PATCH', path: '/v1/workspace/settings', body: { urnPrefix: 'urn:\ud800' }, status: 400, message: /urnPrefix must not contain a lone/ },
  { name: 'a member id in the path encodes a surrogate (CESU-8)', method: 'GET', path: '/v1/members/%ED%A0%80', status: 400, message: /percent-encoded UTF-8/ },
];

describe.each(BACKENDS)('bad input on $name', (backend) => {
  let t: TestApp;
  let admin: string;
  let keyId: string;

  const send = (c: Pick<Case, 'method' | 'path' | 'body' | 'headers'>, key?: string): Promise<HttpResponse> =>
    t.request(c.method, c.path.replace(KEY_ID, keyId), {
      headers: { ...(key ? { 'x-api-key': key } : {}), ...c.headers },
      ...(c.body !== undefined ? { body: c.body } : {}),
    });

  const expectError = (res: HttpResponse, dialect: Dialect, status: number | number[], message?: RegExp) => {
    const allowed = Array.isArray(status) ? status : [status];
    expect(allowed, `status ${res.status}: ${res.text}`).toContain(res.status);
    if (dialect === 'native') expectNativeError(res, res.status, message);
    else expectNetworkedError(res, res.status, message);
  };

  beforeAll(async () => {
    t = await startTestApp(backend);
    await t.members('bad', [
      { id: 'owner', name: 'Olga Owner', plan: 'premium' },
      { id: 'v1', name: 'Vic One' },
    ]);
    admin = await t.adminKey('bad');
    // The visit whose id a case reuses for another visit (members of their own, out of the other cases' way).
    await t.members('bad', [{ id: 'id-owner', name: 'Id Owner' }, { id: 'id-viewer', name: 'Id Viewer' }]);
    const first = await t.request('POST', '/v1/visits', { headers: { 'x-api-key': admin }, body: { id: 'bad-once', profileId: 'id-owner', viewerId: 'id-viewer' } });
    expect(first.status, first.text).toBe(201);
    const keys = await t.request('GET', '/v1/keys', { headers: { 'x-api-key': admin } });
    keyId = keys.body.keys[0].id;
  });
  afterAll(() => t.close());

  describe('requests without a usable key get 401 on every route', () => {
    const headerCases: Array<[string, Record<string, string>]> = [
      ['no key at all', {}],
      ['an empty x-api-key', { 'x-api-key': '' }],
      ['an unknown x-api-key', { 'x-api-key': 'pv_admin_unknown' }],
      ['an 8 KB x-api-key', { 'x-api-key': long(8192) }],
      ['Basic authorization', { authorization: 'Basic YWRtaW46YWRtaW4=' }],
      ['an empty Bearer token', { authorization: 'Bearer ' }],
    ];
    for (const route of ROUTES) {
      it.each(headerCases)(`${route.method} ${route.path.split('?')[0]} with %s`, async (_name, headers) => {
        const res = await send({ method: route.method, path: route.path, body: route.body, headers });
        expectError(res, route.dialect, 401);
      });
    }

    it('checks the key before parsing the body: malformed JSON without a key is 401', async () => {
      const res = await send({ method: 'POST', path: '/v1/visits', body: '{"profileId":' });
      expectError(res, 'native', 401, /key/);
    });

    it('Networked reads the key from x-api-key, and a Bearer header is told so', async () => {
      const res = await t.request('GET', '/api/v1/profile/visits?start=0&count=1&userId=owner', { headers: { authorization: `Bearer ${admin}` } });
      expectError(res, 'networked', 401, /expects the API key in the x-api-key header/);
    });
  });

  describe('bad input with a valid admin key', () => {
    it.each(CASES)('$name: $method $path', async (c) => {
      const res = await send(c, c.as === 'none' ? undefined : admin);
      expectError(res, c.dialect ?? 'native', c.status, c.message);
    });

    it('none of the above changed anything: the workspace and members are as created', async () => {
      const ws = await t.request('GET', '/v1/workspace', { headers: { 'x-api-key': admin } });
      expect(ws.body.settings).toMatchObject({ dedupWindowMs: 30 * 60_000, retentionDays: 365, freeFullViewers: 5, urnPrefix: 'urn:li:fsd_profile:' });
      const m1 = await t.request('GET', '/v1/members/m1', { headers: { 'x-api-key': admin } });
      expect(m1.status).toBe(404);
      const visitors = await t.request('GET', '/v1/members/owner/visitors', { headers: { 'x-api-key': admin } });
      expect(visitors.body.total).toBe(0);
    });
  });

  describe('LinkupAPI and ConnectSafely', () => {
    /** `{success: false, error: {code, message}, metadata: {action, credits_consumed: 0, timestamp}}`. */
    const expectLinkup = (res: HttpResponse, status: number, code: string, message?: RegExp) => {
      expect({ status: res.status, body: res.body }, res.text).toMatchObject({
        status,
        body: { success: false, error: { code, message: expect.any(String) }, metadata: { credits_consumed: 0, timestamp: expect.any(String) } },
      });
      if (message) expect(res.body.error.message).toMatch(message);
    };
    /** `{success: false, error, code, message}` with `error` and `message` the same text. */
    const expectConnectSafely = (res: HttpResponse, status: number, message?: RegExp) => {
      expect({ status: res.status, body: res.body }, res.text).toMatchObject({
        status,
        body: { success: false, error: expect.any(String), message: expect.any(String) },
      });
      expect(res.body.error).toBe(res.body.message);
      if (message) expect(res.body.message).toMatch(message);
    };

    const linkupCases: Array<[string, unknown, Record<string, string> | null, number, string, RegExp?]> = [
      ['no key', { account_id: 'owner', action: 'get_viewers' }, null, 403, 'INVALID_API_KEY'],
      ['an unknown action', { account_id: 'owner', action: 'get_posts' }, {}, 400, 'INVALID_ACTION', /get_posts/],
      ['no action', { account_id: 'owner' }, {}, 400, 'INVALID_PARAMS', /action/],
      ['no account_id', { action: 'get_viewers' }, {}, 400, 'INVALID_PARAMS', /account_id/],
      ['an account_id of 129 characters', { account_id: long(129), action: 'get_viewers' }, {}, 400, 'INVALID_PARAMS', /account_id/],
      ['count zero', { account_id: 'owner', action: 'get_viewers', params: { count: 0 } }, {}, 400, 'INVALID_PARAMS', /count/],
      ['count over 100', { account_id: 'owner', action: 'get_viewers', params: { count: 101 } }, {}, 400, 'INVALID_PARAMS', /count/],
      ['count as text', { account_id: 'owner', action: 'get_viewers', params: { count: 'ten' } }, {}, 400, 'INVALID_PARAMS', /count/],
      ['offset negative', { account_id: 'owner', action: 'get_viewers', params: { offset: -1 } }, {}, 400, 'INVALID_PARAMS', /offset/],
      ['offset huge', { account_id: 'owner', action: 'get_viewers', params: { offset: 1e300 } }, {}, 400, 'INVALID_PARAMS', /offset/],
      ['params not an object', { account_id: 'owner', action: 'get_viewers', params: 'all' }, {}, 400, 'INVALID_PARAMS', /params/],
      ['an unknown account', { account_id: 'ghost', action: 'get_viewers' }, {}, 404, 'INVALID_ACCOUNT', /ghost/],
      ['an account_id holding a NUL', { account_id: 'ow\u0000ner', action: 'get_viewers' }, {}, 400, 'INVALID_PARAMS', /account_id/],
      ['malformed JSON', '{"account_id":"owner",', {}, 400, 'INVALID_PARAMS', /JSON/],
      ['a bare array', '[]', {}, 400, 'INVALID_PARAMS'],
      ['a form body', 'account_id=owner', { 'content-type': 'application/x-www-form-urlencoded' }, 415, 'INVALID_PARAMS', /application\/json/],
      ['an account_id holding a lone surrogate', { account_id: 'ow\ud800ner', action: 'get_viewers' }, {}, 400, 'INVALID_PARAMS', /account_id must not contain a lone/],
      ['an action holding a lone surrogate', { account_id: 'owner', action: 'get_\udc00' }, {}, 400, 'INVALID_PARAMS', /action must not contain a lone/],
    ];
    it.each(linkupCases)('LinkupAPI POST /v2/profiles with %s', async (_name, body, headers, status, code, message) => {
      const res = await t.request('POST', '/v2/profiles', { headers: { ...(headers ? { 'x-api-key': admin } : {}), ...headers }, body });
      expectLinkup(res, status, code, message);
    });

    const csCases: Array<[string, unknown, boolean, number, RegExp?]> = [
      ['no key', { accountId: 'owner' }, false, 401, /Unauthorized/],
      ['an unknown timeRange', { accountId: 'owner', timeRange: 'yesterday' }, true, 400, /timeRange/],
      ['count negative', { accountId: 'owner', count: -1 }, true, 400, /count/],
      ['count as text', { accountId: 'owner', count: 'ten' }, true, 400, /count/],
      ['start negative', { accountId: 'owner', start: -1 }, true, 400, /start/],
      ['start huge', { accountId: 'owner', start: 1e300 }, true, 400, /start/],
      ['maxVisitors zero', { accountId: 'owner', maxVisitors: 0 }, true, 400, /maxVisitors/],
      ['maxVisitors huge', { accountId: 'owner', maxVisitors: 1e9 }, true, 400, /maxVisitors/],
      ['fetchAll as text', { accountId: 'owner', fetchAll: 'yes' }, true, 400, /fetchAll/],
      ['an accountId of 129 characters', { accountId: long(129) }, true, 400, /accountId/],
      ['an admin key without accountId', {}, true, 400, /accountId/],
      ['an unknown account', { accountId: 'ghost' }, true, 404, /ghost/],
      ['an accountId holding a NUL', { accountId: 'ow\u0000ner' }, true, 400, /accountId/],
      ['an accountId holding a lone surrogate', { accountId: 'ow\udfffner' }, true, 400, /accountId must not contain a lone/],
      ['malformed JSON', '{"accountId":', true, 400, /JSON/],
    ];
    it.each(csCases)('ConnectSafely POST /linkedin/profile/visitors with %s', async (_name, body, withKey, status, message) => {
      const res = await t.request('POST', '/linkedin/profile/visitors', { headers: withKey ? { authorization: `Bearer ${admin}` } : {}, body });
      expectConnectSafely(res, status, message);
    });
  });

  describe('refusals made before any route, in each API\'s own shape', () => {
    type Api = 'native' | 'networked' | 'linkup' | 'connectsafely';
    /** One path of each API, with a key header it accepts. */
    const APIS: Array<{ api: Api; path: string; method: string; headers: () => Record<string, string>; body?: unknown }> = [
      { api: 'native', method: 'GET', path: '/v1/workspace', headers: () => ({ 'x-api-key': admin }) },
      { api: 'networked', method: 'GET', path: '/api/v1/profile/visits?start=0&count=1&userId=owner', headers: () => ({ 'x-api-key': admin }) },
      { api: 'linkup', method: 'POST', path: '/v2/profiles', headers: () => ({ 'x-api-key': admin }), body: { account_id: 'owner', action: 'get_viewers' } },
      { api: 'connectsafely', method: 'POST', path: '/linkedin/profile/visitors', headers: () => ({ authorization: `Bearer ${admin}` }), body: { accountId: 'owner' } },
    ];
    /** Each API's error shape; `status` and a message pattern. */
    const expectShape = (api: Api, res: HttpResponse, status: number, message?: RegExp) => {
      expect(res.status, res.text).toBe(status);
      if (api === 'native') expectNativeError(res, status, message);
      if (api === 'networked') expectNetworkedError(res, status, message);
      if (api === 'linkup') {
        expect(res.body, res.text).toMatchObject({ success: false, error: { code: expect.any(String), message: expect.any(String) }, metadata: { credits_consumed: 0 } });
        if (message) expect(res.body.error.message).toMatch(message);
      }
      if (api === 'connectsafely') {
        expect(res.body, res.text).toMatchObject({ success: false, error: expect.any(String), code: expect.any(String), message: expect.any(String) });
        if (message) expect(res.body.message).toMatch(message);
      }
    };
    /** A path of the API's own prefix with `segment` in it. */
    const under = (api: Api, segment: string) =>
      ({ native: `/v1/members/${segment}`, networked: `/api/v1/profile/${segment}`, linkup: `/v2/${segment}`, connectsafely: `/linkedin/${segment}` })[api];

    it.each(APIS)('$api: malformed percent-encoding in the path is a 400', async ({ api, headers }) => {
      for (const segment of ['%E0%A4%A', '%ZZ', '%ED%A0%80', '%C0%AF']) {
        expectShape(api, await t.request('GET', under(api, segment), { headers: headers() }), 400, /percent-encoded UTF-8/);
      }
    });

    it.each(APIS)('$api: an over-long path segment is a 4xx, never the framework\'s own body', async ({ api, headers }) => {
      const res = await t.request('GET', under(api, long(600)), { headers: headers() });
      // A parameter the router cannot take is a 400; a path no route has is a 404.
      expectShape(api, res, api === 'native' ? 400 : 404, api === 'native' ? /longer than 512/ : /no route/);
    });

    it.each(APIS)('$api: over-large headers are a 431', async ({ api, path, method, headers, body }) => {
      const res = await t.request(method, path, { headers: { ...headers(), 'x-padding': long(20_000) }, ...(body ? { body } : {}) });
      expectShape(api, res, 431, /too large/);
    });

    it.each(APIS)('$api: an over-large query string is a 431', async ({ api, path, method, headers, body }) => {
      const res = await t.request(method, `${path}${path.includes('?') ? '&' : '?'}padding=${long(70_000)}`, { headers: headers(), ...(body ? { body } : {}) });
      expectShape(api, res, 431, /query string are too large/);
    });

    it.each(APIS)('$api: a wrong method on its path is a 405 with Allow', async ({ api, path, method, headers }) => {
      for (const wrong of ['GET', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'].filter((m) => m !== method)) {
        const res = await t.request(wrong, path, { headers: headers() });
        const allow = method === 'GET' ? 'GET, HEAD' : method;
        expectShape(api, res, 405, new RegExp(`${wrong} is not allowed.*use ${allow}`));
        expect(res.headers.get('allow')).toBe(allow);
      }
    });

    it.each(APIS.filter((a) => a.body !== undefined))('$api: a body that is not JSON is a 415 naming application/json', async ({ api, path, headers }) => {
      for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml']) {
        const res = await t.request('POST', path, { headers: { ...headers(), 'content-type': type }, body: 'account_id=owner' });
        expectShape(api, res, 415, /send the body as application\/json/);
      }
    });

    it('every route of the service answers a wrong method with 405 and the methods it takes', async () => {
      /** Each path of the service and the methods it takes (GET brings HEAD). */
      const paths: Array<[Api, string, string[]]> = [
        ['native', '/v1/workspace', ['GET']],
        ['native', '/v1/workspace/settings', ['PATCH']],
        ['native', '/v1/members/owner', ['GET', 'PUT', 'DELETE']],
        ['native', '/v1/members/owner/visitors', ['GET']],
        ['native', '/v1/members/owner/connections', ['GET']],
        ['native', '/v1/members/owner/connections/v1', ['PUT', 'DELETE']],
        ['native', '/v1/visits', ['POST']],
        ['native', '/v1/visits/batch', ['POST']],
        ['native', '/v1/keys', ['GET', 'POST']],
        ['native', `/v1/keys/${keyId}`, ['DELETE']],
        ['native', `/v1/keys/${keyId}/credits`, ['PUT']],
        ['native', '/healthz', ['GET']],
        ['native', '/openapi.json', ['GET']],
        ['networked', '/api/v1/profile/visits', ['GET']],
        ['linkup', '/v2/profiles', ['POST']],
        ['connectsafely', '/linkedin/profile/visitors', ['POST']],
      ];
      for (const [api, path, methods] of paths) {
        const allow = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'].filter((m) => methods.includes(m) || (m === 'HEAD' && methods.includes('GET')));
        for (const wrong of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'].filter((m) => !allow.includes(m))) {
          const res = await t.request(wrong, path, { headers: { 'x-api-key': admin } });
          expectShape(api, res, 405, new RegExp(`use ${allow.join(', ')}$`));
          expect(res.headers.get('allow'), `${wrong} ${path}`).toBe(allow.join(', '));
        }
      }
    });

    it('LinkupAPI says a Bearer key belongs in x-api-key', async () => {
      const res = await t.request('POST', '/v2/profiles', { headers: { authorization: `Bearer ${admin}` }, body: { account_id: 'owner', action: 'get_viewers' } });
      expectShape('linkup', res, 403, /expects the API key in the x-api-key header/);
      expect(res.body.error.code).toBe('INVALID_API_KEY');
    });

    it('an unknown path under a compatible API is a 404 in that API\'s shape', async () => {
      expectShape('linkup', await t.request('POST', '/v2/nope', { headers: { 'x-api-key': admin }, body: {} }), 404, /no route/);
      expectShape('connectsafely', await t.request('GET', '/linkedin/nope', { headers: { authorization: `Bearer ${admin}` } }), 404, /no route/);
      expectShape('networked', await t.request('GET', '/api/v1/nope', { headers: { 'x-api-key': admin } }), 404, /no route/);
    });
  });

  describe('a batch refuses only the item holding text PostgreSQL cannot store, and that item leaves no trace', () => {
    it('the other items are recorded; no member is created by the refused item\'s inline profile or ids', async () => {
      const res = await t.request('POST', '/v1/visits/batch', {
        headers: { 'x-api-key': admin },
        body: {
          visits: [
            { profileId: 'owner', viewerId: 'sur\ud800rogate', viewer: { name: 'From A Bad Id' } },
            { profileId: 'owner', viewerId: 'inline-bad', viewer: { name: 'Bad \udc00 Name' } },
            { profileId: 'owner', viewerId: 'v1', id: 'batch-\udbff' },
            { profileId: 'owner', viewerId: 'v1', id: 'batch-good' },
          ],
        },
      });
      expect(res.status, res.text).toBe(200);
      expect(res.body).toMatchObject({ recorded: 1, rejected: 3 });
      expect(res.body.results.map((r: any) => [r.status, r.error?.code ?? null, r.error?.details?.field ?? null])).toEqual([
        ['error', 'invalid_input', 'viewerId'],
        ['error', 'invalid_input', 'viewer.name'],
        ['error', 'invalid_input', 'id'],
        ['recorded', null, null],
      ]);
      // Neither the surrogate's id nor what a driver would have made of it (U+FFFD) exists.
      for (const id of ['inline-bad', 'sur%EF%BF%BDrogate', 'sur%EF%BF%BDrogate'.replace('%EF%BF%BD', '')]) {
        expectError(await t.request('GET', `/v1/members/${id}`, { headers: { 'x-api-key': admin } }), 'native', 404);
      }
      const visitors = await t.request('GET', '/v1/members/owner/visitors', { headers: { 'x-api-key': admin } });
      expect(visitors.body.viewers.map((v: any) => v.viewer?.id)).toEqual(['v1']);
    });
  });

  describe('limits that must be accepted', () => {
    it('a member id of exactly 128 characters can be created and read', async () => {
      const id = long(128, 'a');
      const put = await t.request('PUT', `/v1/members/${id}`, { headers: { 'x-api-key': admin }, body: { name: 'Long Id' } });
      expect(put.status, put.text).toBe(200);
      const get = await t.request('GET', `/v1/members/${id}`, { headers: { 'x-api-key': admin } });
      expect(get.status, get.text).toBe(200);
      expect(get.body.id).toBe(id);
    });

    it('an unknown member id of 101 characters is simply not found', async () => {
      const res = await t.request('GET', `/v1/members/${long(101, 'b')}`, { headers: { 'x-api-key': admin } });
      expectError(res, 'native', 404);
    });

    it('a JSON content-type with a charset parameter is accepted', async () => {
      const res = await t.request('PUT', '/v1/members/charset', {
        headers: { 'x-api-key': admin, 'content-type': 'application/json; charset=utf-8' },
        body: { name: 'Zoë Ünicode' },
      });
      expect(res.status).toBe(200);
      expect(res.body.name).toBe('Zoë Ünicode');
    });
  });

  describe('oversized bodies', () => {
    let small: TestApp;
    let smallAdmin: string;
    let smallKeyId: string;
    beforeAll(async () => {
      small = await startTestApp(backend, { bodyLimitBytes: 2048 });
      await small.members('tiny', [
        { id: 'owner', name: 'Olga Owner' },
        { id: 'v1', name: 'Vic One' },
      ]);
      smallAdmin = await small.adminKey('tiny');
      smallKeyId = (await small.request('GET', '/v1/keys', { headers: { 'x-api-key': smallAdmin } })).body.keys[0].id;
    });
    afterAll(() => small.close());

    const big = long(3000);
    const oversized: Array<[string, string, unknown]> = [
      ['PUT', '/v1/members/owner', { name: 'Olga', headline: big }],
      ['POST', '/v1/visits', { profileId: 'owner', viewerId: 'v1', viewer: { headline: big } }],
      ['POST', '/v1/visits/batch', { visits: Array.from({ length: 60 }, () => ({ profileId: 'owner', viewerId: 'v1' })) }],
      ['POST', '/v1/keys', { role: 'admin', name: big }],
      ['PUT', `/v1/keys/${KEY_ID}/credits`, { credits: 5, padding: big }],
      ['PATCH', '/v1/workspace/settings', { urnPrefix: big }],
      ['PUT', '/v1/members/owner', `{"name":"${big}"`],
    ];
    it.each(oversized)('%s %s over the body limit is 413', async (method, path, body) => {
      const res = await small.request(method, path.replace(KEY_ID, smallKeyId), { headers: { 'x-api-key': smallAdmin }, body });
      expectNativeError(res, 413, /too large/);
    });

    it('LinkupAPI and ConnectSafely refuse an oversized body in their own shapes', async () => {
      const linkup = await small.request('POST', '/v2/profiles', {
        headers: { 'x-api-key': smallAdmin },
        body: { account_id: 'owner', action: 'get_viewers', padding: big },
      });
      expect(linkup.status).toBeGreaterThanOrEqual(400);
      expect(linkup.status).toBeLessThan(500);
      expect(linkup.body).toMatchObject({ success: false, error: { code: expect.any(String), message: expect.stringMatching(/too large/) } });
      const cs = await small.request('POST', '/linkedin/profile/visitors', {
        headers: { authorization: `Bearer ${smallAdmin}` },
        body: { accountId: 'owner', padding: big },
      });
      expect(cs.status).toBeGreaterThanOrEqual(400);
      expect(cs.status).toBeLessThan(500);
      expect(cs.body).toMatchObject({ success: false, message: expect.stringMatching(/too large/) });
    });

    it('a body just under the limit is still accepted, and the server keeps serving', async () => {
      const res = await small.request('PUT', '/v1/members/owner', { headers: { 'x-api-key': smallAdmin }, body: { name: 'Olga', headline: long(400) } });
      expect(res.status).toBe(200);
      const visitors = await small.request('GET', '/v1/members/owner/visitors', { headers: { 'x-api-key': smallAdmin } });
      expect(visitors.status).toBe(200);
      expect(visitors.body.total).toBe(0);
    });
  });
});
