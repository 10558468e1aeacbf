/**
 * The client's committed types (packages/client/src/schema.ts) must be what openapi-typescript
 * makes of this build's /openapi.json. When a route's schema changes, this fails until
 * `npm run client:generate` is run and its output committed.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CLIENT_SCHEMA_PATH, clientSchemaSource, serviceOpenApiDocument } from '../scripts/generate-client-types.js';

describe('the typed client', () => {
  it('has types generated from the current OpenAPI document (run `npm run client:generate` if not)', async () => {
    const expected = await clientSchemaSource(await serviceOpenApiDocument());
    const committed = readFileSync(CLIENT_SCHEMA_PATH, 'utf8');
    // A plain equality check would print 3,000 lines; say where they first differ instead.
    if (committed !== expected) {
      const a = committed.split('\n');
      const b = expected.split('\n');
      const at = a.findIndex((line, i) => line !== b[i]);
      const line = at < 0 ? Math.min(a.length, b.length) : at;
      expect.fail(
        `packages/client/src/schema.ts is out of date with /openapi.json from line ${line + 1}:\n  committed: ${a[line] ?? '(end)'}\n  generated: ${b[line] ?? '(end)'}\nrun: npm run client:generate`,
      );
    }
  });
});
