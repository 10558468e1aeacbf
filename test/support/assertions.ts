/**
 * Shared assertions and small HTTP helpers for the API test files: each dialect's error shape,
 * recording visits and reading a whole visitor list the way a client would.
 */
import { expect } from 'vitest';
import type { HttpResponse, TestApp } from './test-app.js';

/** The native API's error body: `{error: {code, message, details?}}`. */
export function expectNativeError(res: HttpResponse, status: number, message?: RegExp | string): void {
  expect({ status: res.status, body: res.body }, `response text: ${res.text}`).toMatchObject({
    status,
    body: { error: { code: expect.any(String), message: expect.any(String) } },
  });
  expect(res.body.error.message.length).toBeGreaterThan(3);
  if (message !== undefined) expect(res.body.error.message).toMatch(message);
}

/** Networked's error body: exactly `{data: null, error: true, message}`. */
export function expectNetworkedError(res: HttpResponse, status: number, message?: RegExp | string): void {
  expect({ status: res.status, body: res.body }, `response text: ${res.text}`).toEqual({
    status,
    body: { data: null, error: true, message: expect.any(String) },
  });
  expect(res.body.message.length).toBeGreaterThan(3);
  if (message !== undefined) expect(res.body.message).toMatch(message);
}

export const auth = (key: string) => ({ 'x-api-key': key });

/** Records visits through the batch endpoint and fails loudly unless every item was accepted. */
export async function postBatch(t: TestApp, key: string, visits: unknown[]) {
  const res = await t.request('POST', '/v1/visits/batch', { headers: auth(key), body: { visits } });
  expect(res.status, res.text).toBe(200);
  expect(res.body.rejected, res.text).toBe(0);
  return res.body as { recorded: number; deduplicated: number; replayed: number; ignored: number; rejected: number; results: any[] };
}

/** The whole native visitor list of a member, paged through with `nextOffset`. */
export async function allVisitors(t: TestApp, key: string, memberId: string): Promise<{ total: number; viewers: any[] }> {
  const viewers: any[] = [];
  let offset: number | null = 0;
  let total = 0;
  while (offset !== null) {
    const res: HttpResponse = await t.request('GET', `/v1/members/${encodeURIComponent(memberId)}/visitors?limit=100&offset=${offset}`, { headers: auth(key) });
    expect(res.status, res.text).toBe(200);
    total = res.body.total;
    viewers.push(...res.body.viewers);
    offset = res.body.nextOffset;
  }
  return { total, viewers };
}

/** Polls `cond` every 50 ms for up to `ms`; resolves with its last value (for state reached in the background). */
export async function until(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return cond();
}
