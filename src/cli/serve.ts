import type { Config } from '../config.js';
import { followPrimary, isClusterWorker, startPrimary } from '../cluster.js';
import { startServer } from '../server.js';

export async function serveCommand(config: Readonly<Config>): Promise<void> {
  if (config.workers > 1 && !isClusterWorker()) {
    const primary = await startPrimary(config);
    await primary.ready;
    return;
  }
  const server = await startServer(config);
  if (isClusterWorker()) followPrimary(server.close);
  else server.app.log.info({ url: server.url, database: config.databaseUrl }, 'profile-visitors listening');
}
