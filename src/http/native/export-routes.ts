/**
 * GET /v1/members/:memberId/export: a member's data streamed as JSON or NDJSON
 * (docs/privacy-controls.md, "Export"). The core yields it page by page; this writes each
 * piece as it comes, so the response never sits whole in memory.
 */
import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { exportMember, recordAudit, type ExportRecord } from '../../core/index.js';
import { actingMember } from '../plugins/core.js';
import { StringEnum } from '../schema-helpers.js';
import { actorOf } from './audit-routes.js';
import { presentKey, presentViewer } from './presenters.js';
import * as S from './schemas.js';

const present = (r: ExportRecord): [string, unknown] => {
  switch (r.kind) {
    case 'member':
      return ['member', r.member];
    case 'blocks':
      return ['blocks', r.blocks];
    case 'keys':
      return ['keys', r.keys.map(presentKey)];
    case 'viewers_withheld':
      return ['viewersWithheld', r.reason];
    case 'viewer':
      return ['viewer', presentViewer(r.viewer)];
    case 'viewed':
      return ['viewed', r.viewed];
  }
};

/** NDJSON: one `{type, data}` object a line, a viewer or a viewed profile per line. */
async function* ndjson(first: ExportRecord, rest: AsyncGenerator<ExportRecord>): AsyncGenerator<string> {
  if (first.kind === 'member') yield JSON.stringify({ type: 'export', data: { memberId: first.member.id, exportedAt: first.exportedAt } }) + '\n';
  for (let r: ExportRecord | undefined = first; r; r = (await rest.next()).value || undefined) {
    const [type, data] = present(r);
    if (type === 'blocks' || type === 'keys') {
      for (const item of data as unknown[]) yield JSON.stringify({ type: type.slice(0, -1), data: item }) + '\n';
    } else yield JSON.stringify({ type, data }) + '\n';
  }
}

/**
 * One JSON document: `{exportedAt, member, settings, blocks, keys, viewersWithheld, viewers: [...], viewed: [...]}`,
 * the two arrays written an element at a time.
 */
async function* json(first: ExportRecord, rest: AsyncGenerator<ExportRecord>): AsyncGenerator<string> {
  let withheld: string | null = null;
  /** Which array is being written: viewers come first, then the profiles viewed. */
  let stage: 'before' | 'viewers' | 'viewed' = 'before';
  let count = 0;
  const enter = (to: 'viewers' | 'viewed') => {
    let text = '';
    if (stage === 'before') {
      text += `,"viewersWithheld":${JSON.stringify(withheld)},"viewers":[`;
      stage = 'viewers';
      count = 0;
    }
    if (to === 'viewed' && stage === 'viewers') {
      text += '],"viewed":[';
      stage = 'viewed';
      count = 0;
    }
    return text;
  };
  for (let r: ExportRecord | undefined = first; r; r = (await rest.next()).value || undefined) {
    if (r.kind === 'member') {
      yield `{"exportedAt":${r.exportedAt},"member":${JSON.stringify(r.member)},"settings":${JSON.stringify({ plan: r.member.plan, visibility: r.member.visibility })}`;
    } else if (r.kind === 'viewers_withheld') withheld = r.reason;
    else if (r.kind === 'blocks' || r.kind === 'keys') {
      const [name, data] = present(r);
      yield `,"${name}":${JSON.stringify(data)}`;
    } else {
      const text = enter(r.kind === 'viewer' ? 'viewers' : 'viewed');
      yield text + (count++ > 0 ? ',' : '') + JSON.stringify(present(r)[1]);
    }
  }
  yield enter('viewed') + ']}';
}

export async function exportRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  app.get(
    '/members/:memberId/export',
    {
      schema: {
        tags: ['native'],
        description:
          'The member\'s data (admin, or the member): profile and settings, blocks they made, their keys (metadata, never secrets), their viewers exactly as their visitor list shows them, and the profiles they viewed with counts and times. Streamed; `format=ndjson` gives one `{type, data}` a line.',
        params: Type.Object({ memberId: S.Id }),
        querystring: Type.Object({ format: StringEnum(['json', 'ndjson'] as const, { default: 'json' }) }),
        response: { 200: Type.Unknown({ description: 'the export, streamed (application/json, or application/x-ndjson)' }), ...S.errorResponses },
      },
    },
    async (request, reply) => {
      const { principal, memberId } = actingMember(request, request.params.memberId, 'memberId');
      const records = exportMember(app.core, principal.workspace, memberId);
      // The first record is read here: a member not found is still a plain 404.
      const first = await records.next();
      if (first.done) throw new Error('an export always starts with the member');
      await recordAudit(app.core, principal.workspace, actorOf(request), 'member.exported', memberId, { format: request.query.format });
      const ndjsonFormat = request.query.format === 'ndjson';
      const body = Readable.from((ndjsonFormat ? ndjson : json)(first.value, records), { objectMode: false });
      return reply
        .type(ndjsonFormat ? 'application/x-ndjson' : 'application/json; charset=utf-8')
        .header('content-disposition', `attachment; filename="member-export.${ndjsonFormat ? 'ndjson' : 'json'}"`)
        .send(body);
    },
  );
}
