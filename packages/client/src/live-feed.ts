/**
 * Reading a live feed sent as Server-Sent Events (text/event-stream, as the HTML standard defines
 * it): `event:`, `data:` (several lines joined by newlines), `id:` and `retry:` fields, a blank
 * line ending each event, `:` comment lines (keep-alives) skipped. The reader hands back each
 * event with the last id seen, so a reconnect can resume with `Last-Event-ID`.
 */

export interface FeedEvent {
  /** `message` unless the event names another type. */
  event: string;
  data: string;
  /** The last event id received so far (the stream's, per the standard), or '' if none. */
  lastEventId: string;
  /** A reconnection delay the server asked for, in ms, if it did. */
  retry?: number;
}

/** Parses an SSE byte stream into events. */
export async function* readEvents(stream: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>): AsyncGenerator<FeedEvent> {
  const decoder = new TextDecoder();
  let buffer = '';
  let event = '';
  let data: string[] = [];
  let lastEventId = '';
  let retry: number | undefined;
  const iterable: AsyncIterable<Uint8Array> =
    Symbol.asyncIterator in stream ? (stream as AsyncIterable<Uint8Array>) : iterate(stream as ReadableStream<Uint8Array>);
  let first = true;
  for await (const chunk of iterable) {
    buffer += decoder.decode(chunk, { stream: true });
    if (first && buffer.length > 0) {
      if (buffer.charCodeAt(0) === 0xfeff) buffer = buffer.slice(1);
      first = false;
    }
    for (;;) {
      const m = /\r\n|\n|\r/.exec(buffer);
      // A lone \r at the end may be the first half of \r\n: wait for more.
      if (!m || (m[0] === '\r' && m.index === buffer.length - 1)) break;
      const line = buffer.slice(0, m.index);
      buffer = buffer.slice(m.index + m[0].length);
      if (line === '') {
        if (data.length > 0) {
          yield { event: event || 'message', data: data.join('\n'), lastEventId, ...(retry !== undefined ? { retry } : {}) };
        }
        event = '';
        data = [];
        retry = undefined;
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? '' : line.slice(colon + 1);
      if (value.startsWith(' ')) value = value.slice(1);
      if (field === 'event') event = value;
      else if (field === 'data') data.push(value);
      else if (field === 'id') {
        if (!value.includes('\u0000')) lastEventId = value;
      } else if (field === 'retry' && /^\d+$/.test(value)) retry = Number(value);
    }
  }
}

async function* iterate(stream: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      yield value;
    }
  } finally {
    reader.releaseLock();
  }
}

export interface LiveFeedOptions {
  /** Full URL of the feed endpoint. */
  url: string;
  apiKey: string;
  /** Resume after this event id (sent as Last-Event-ID). */
  lastEventId?: string;
  signal?: AbortSignal;
  fetch?: typeof globalThis.fetch;
}

/**
 * Opens a feed and yields its events until the server ends the stream or `signal` aborts.
 * A refusal (401, 404, ...) throws with the status and the body the server sent.
 */
export async function* openLiveFeed(opts: LiveFeedOptions): AsyncGenerator<FeedEvent> {
  const headers: Record<string, string> = { accept: 'text/event-stream', 'x-api-key': opts.apiKey };
  if (opts.lastEventId) headers['last-event-id'] = opts.lastEventId;
  const res = await (opts.fetch ?? fetch)(opts.url, { headers, ...(opts.signal ? { signal: opts.signal } : {}) });
  if (!res.ok || !res.body) throw new Error(`live feed ${opts.url} answered ${res.status}: ${await res.text()}`);
  const type = res.headers.get('content-type') ?? '';
  if (!type.startsWith('text/event-stream')) throw new Error(`live feed ${opts.url} answered ${type || 'no content type'}, not text/event-stream`);
  yield* readEvents(res.body);
}
