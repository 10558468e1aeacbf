/**
 * A real webhook receiver: a node:http server on a free port recording every request (headers,
 * raw body) and answering as the test says. `verified` checks each with the standardwebhooks
 * package, as a receiver would.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export interface Received {
  id: string;
  timestamp: string;
  signature: string;
  body: string;
  json: any;
  at: number;
  headers: IncomingMessage['headers'];
}

export type Answer = (r: Received, res: ServerResponse, index: number) => void | Promise<void>;

export interface Receiver {
  url: string;
  port: number;
  received: Received[];
  /** Requests being answered right now, and the most at once. */
  open: number;
  maxOpen: number;
  answer: Answer;
  /** Distinct webhook-ids received. */
  ids(): Set<string>;
  /** Each received message's body, after Webhook.verify with `secret` (throws if any fails). */
  verified(secret: string): any[];
  close(): Promise<void>;
}

export const ok: Answer = (_r, res) => {
  res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
};

export async function startReceiver(answer: Answer = ok, port = 0): Promise<Receiver> {
  const sockets = new Set<import('node:net').Socket>();
  const rec: Receiver = {
    url: '',
    port: 0,
    received: [],
    open: 0,
    maxOpen: 0,
    answer,
    ids: () => new Set(rec.received.map((r) => r.id)),
    verified(secret) {
      return rec.received.map((r) =>
        new Webhook(secret).verify(r.body, { 'webhook-id': r.id, 'webhook-timestamp': r.timestamp, 'webhook-signature': r.signature }),
      );
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let json: unknown;
      try {
        json = JSON.parse(body);
      } catch {
        json = undefined;
      }
      const r: Received = {
        id: String(req.headers['webhook-id'] ?? ''),
        timestamp: String(req.headers['webhook-timestamp'] ?? ''),
        signature: String(req.headers['webhook-signature'] ?? ''),
        body,
        json,
        at: Date.now(),
        headers: req.headers,
      };
      const index = rec.received.push(r) - 1;
      rec.open++;
      rec.maxOpen = Math.max(rec.maxOpen, rec.open);
      res.on('close', () => rec.open--);
      void rec.answer(r, res, index);
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  rec.port = (server.address() as AddressInfo).port;
  rec.url = `http://127.0.0.1:${rec.port}/hook`;
  return rec;
}
