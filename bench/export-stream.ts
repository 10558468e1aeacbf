/**
 * One member's export streamed from a running server (docs/privacy-controls.md, "Export"), with
 * what it cost: time, bytes, lines by type, and the server's memory (RSS just before, peak
 * after). Used by the `export-celebrity` scenario of `npm run bench` and by export-rss.ts.
 */
import { readVmKb, processTree } from './server-process.js';

export interface ExportMeasure {
  status: number;
  seconds: number;
  bytes: number;
  /** NDJSON lines of type `viewer` and `viewed`, and all of them. */
  viewers: number;
  viewed: number;
  lines: number;
  /** Resident memory of the server (and its workers) just before the export, MB. */
  rssBeforeMb: number | null;
  /** Its high-water mark after the export, MB: the export's peak unless starting up went higher. */
  peakRssMb: number | null;
}

const treeMb = (pid: number, field: 'VmHWM' | 'VmRSS') => {
  let kb = 0;
  for (const p of processTree(pid)) kb += readVmKb(p, field) ?? 0;
  return kb > 0 ? kb / 1024 : null;
};

const VIEWER = Buffer.from('{"type":"viewer"');
const VIEWED = Buffer.from('{"type":"viewed"');

/**
 * Streams `GET /v1/members/:id/export?format=ndjson` to the end, counting as it goes (nothing
 * is kept: the bench's own memory stays flat too). A small request first, so the routes'
 * schemas are compiled before the memory baseline is read.
 */
export async function measureExport(url: string, pid: number, apiKey: string, memberId: string): Promise<ExportMeasure> {
  const headers = { 'x-api-key': apiKey };
  await (await fetch(`${url}/v1/members/${encodeURIComponent(memberId)}`, { headers })).arrayBuffer();
  const rssBeforeMb = treeMb(pid, 'VmRSS');
  const start = performance.now();
  const res = await fetch(`${url}/v1/members/${encodeURIComponent(memberId)}/export?format=ndjson`, { headers });
  let bytes = 0;
  let viewers = 0;
  let viewed = 0;
  let lines = 0;
  // A line's start may fall in one chunk and its type in the next: the head of the current line is carried over.
  let head = Buffer.alloc(0);
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    bytes += chunk.length;
    let from = 0;
    for (let nl = chunk.indexOf(10); ; nl = chunk.indexOf(10, from)) {
      const part = chunk.subarray(from, nl === -1 ? chunk.length : nl);
      if (head.length < VIEWER.length) head = Buffer.concat([head, part.subarray(0, VIEWER.length - head.length)]);
      if (nl === -1) break;
      lines++;
      if (head.equals(VIEWER)) viewers++;
      else if (head.equals(VIEWED)) viewed++;
      head = Buffer.alloc(0);
      from = nl + 1;
    }
  }
  const seconds = (performance.now() - start) / 1000;
  return { status: res.status, seconds, bytes, viewers, viewed, lines, rssBeforeMb, peakRssMb: treeMb(pid, 'VmHWM') };
}
