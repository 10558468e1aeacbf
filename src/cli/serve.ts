import type { Config } from '../config.js';
import { startServer } from '../server.js';

export async function serveCommand(config: Readonly<Config>) {
  const server = await startServer(config);
  server.app.log.info({ url: server.url, database: config.databaseUrl }, 'profile-visitors listening');
  return server;
}
