import type { Config } from '../config.js';
import { followPrimary, isClusterWorker, startPrimary } from '../cluster.js';

export async function serveCommand(config: Readonly<Config>): Promise<void> {
  if (config.workers > 1 && !isClusterWorker()) {
    const primary = await startPrimary(config);
    await primary.ready;
    return;
  }
  // Loaded here, not at the top: a WORKERS primary serves nothing and should not pay for
  // Fastify and the routes' schemas before forking (its workers load them in parallel).
  const { startServer } = await import('../server.js');
  const server = await startServer(config);
  if (isClusterWorker()) followPrimary(server.close);
  else server.app.log.info({ url: server.url, database: config.databaseUrl }, 'profile-visitors listening');
}
