/** Listens and shuts down gracefully: in-flight requests finish, pending writes commit, the database closes. */
import type { FastifyInstance } from 'fastify';
import { buildApp } from './http/app.js';
import { openStore } from './storage/open-store.js';
import type { Config } from './config.js';

export interface RunningServer {
  app: FastifyInstance;
  url: string;
  close(): Promise<void>;
}

export async function startServer(config: Readonly<Config>): Promise<RunningServer> {
  const store = await openStore(config);
  const app = await buildApp({ config, store });
  app.addHook('onClose', async () => {
    await store.close();
  });
  const address = await app.listen({ host: config.host, port: config.port });
  const url = address.replace('[::1]', 'localhost');
  let closing: Promise<void> | undefined;
  const close = () => (closing ??= app.close());
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      app.log.info({ signal }, 'shutting down');
      close().then(
        () => process.exit(0),
        (err) => {
          app.log.error({ err }, 'shutdown failed');
          process.exit(1);
        },
      );
    });
  }
  return { app, url, close };
}
