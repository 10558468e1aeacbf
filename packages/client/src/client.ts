/**
 * The HTTP client: openapi-fetch typed by `schema.ts` (generated from the service's own
 * /openapi.json), so every path, parameter, body and answer of the four APIs is checked by the
 * compiler. The key goes where each API expects it: `Authorization: Bearer` for ConnectSafely
 * (/linkedin/...), `x-api-key` for the native API, Networked and LinkupAPI.
 */
import createFetchClient, { type Client } from 'openapi-fetch';
import type { paths } from './schema.js';

export interface ClientOptions {
  /** Where the service runs, e.g. http://localhost:3000. */
  baseUrl: string;
  /** An admin or member key (pv_admin_... / pv_member_...). */
  apiKey: string;
  /** A fetch to use instead of the global one (tests, proxies). */
  fetch?: typeof globalThis.fetch;
  /** Headers sent with every request. */
  headers?: Record<string, string>;
}

export type ProfileVisitorsClient = Client<paths>;

export function createClient(opts: ClientOptions): ProfileVisitorsClient {
  const client = createFetchClient<paths>({
    baseUrl: opts.baseUrl.replace(/\/+$/, ''),
    ...(opts.fetch ? { fetch: opts.fetch } : {}),
    ...(opts.headers ? { headers: opts.headers } : {}),
  });
  client.use({
    onRequest({ request }) {
      if (new URL(request.url).pathname.startsWith('/linkedin/')) request.headers.set('authorization', `Bearer ${opts.apiKey}`);
      else request.headers.set('x-api-key', opts.apiKey);
      return request;
    },
  });
  return client;
}
