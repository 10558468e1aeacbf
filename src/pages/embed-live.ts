/**
 * The member page's live badge (docs/pages.md): GET /embed/visitors/stream?token=… is a
 * Server-Sent Events stream with one `visit` event per new counted visit of the link's member,
 * from the service's live feed (docs/webhooks.md#live-feed) when the server has one. Events carry
 * no data at all: the badge only says that someone new came, and the list (reloaded) applies the
 * reading rules as always. Without a live feed the route is a 404 and the page offers no badge.
 */
import type { FastifyInstance } from 'fastify';

/** What the page needs of the live feed (webhooks' LiveFeed has this shape). */
export interface LiveFeedLike {
  head(workspaceId: string): Promise<number>;
  open(workspaceId: string, profileId: string | null, after: number, send: (e: { position: number }) => Promise<void>, drop: (reason: string) => void): () => void;
}

export function liveFeedOf(app: FastifyInstance): LiveFeedLike | undefined {
  const feed = (app as unknown as { liveFeed?: unknown }).liveFeed;
  return feed && typeof (feed as LiveFeedLike).open === 'function' && typeof (feed as LiveFeedLike).head === 'function' ? (feed as LiveFeedLike) : undefined;
}

/** Heartbeat comments keep proxies from closing a quiet stream. */
const HEARTBEAT_MS = 15_000;

export function streamUrl(path: string, token: string): string {
  return `${path}/stream?token=${encodeURIComponent(token)}`;
}

/** Serves one stream on the raw response until the client leaves or the feed drops it. */
export async function serveLiveStream(
  feed: LiveFeedLike,
  raw: import('node:http').ServerResponse,
  req: import('node:http').IncomingMessage,
  workspaceId: string,
  memberId: string,
): Promise<void> {
  const after = await feed.head(workspaceId);
  raw.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    connection: 'keep-alive',
  });
  raw.write('retry: 10000\n\n');
  let closed = false;
  const heartbeat = setInterval(() => raw.write(': heartbeat\n\n'), HEARTBEAT_MS);
  const end = () => {
    if (closed) return;
    closed = true;
    clearInterval(heartbeat);
    unsubscribe();
    raw.end();
  };
  const unsubscribe = feed.open(
    workspaceId,
    memberId,
    after,
    async () => {
      if (!closed) raw.write('event: visit\ndata: {}\n\n');
    },
    () => end(),
  );
  req.once('close', end);
}
