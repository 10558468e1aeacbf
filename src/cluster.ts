/**
 * WORKERS > 1: a primary process that migrates the schema once, then forks that many server
 * processes sharing the listening socket (node:cluster). One Node process serves requests on one
 * core; on a machine with more, reads scale with workers. Every worker opens its own store:
 * SQLite in WAL mode lets them read side by side and serializes their writes on the file's
 * write lock (writes wait, they are never refused), PostgreSQL gets a pool per worker.
 *
 * The primary serves nothing itself. It forwards SIGTERM/SIGINT to the workers, which finish
 * their in-flight requests and commits before exiting; a worker that dies on its own is
 * replaced (up to 10 times a minute), and a worker that dies before any worker ever listened
 * stops the whole server (a bad database or port would otherwise be retried forever). If the
 * primary is killed outright, the workers notice the lost channel and shut down gracefully.
 */
import cluster, { type Worker } from 'node:cluster';
import { pino } from 'pino';
import type { Config } from './config.js';
import { randomBytes } from 'node:crypto';
import { openStore } from './storage/open-store.js';
import { clusterMetricsSource, serveMetrics } from './metrics/serve.js';

export interface Primary {
  /** Resolves with the URL once the first worker listens. */
  ready: Promise<string>;
}

/** More replacements than this within the window means a crash loop: stop instead. */
const MAX_RESTARTS = 10;
const RESTART_WINDOW_MS = 60_000;

export const isClusterWorker = (): boolean => cluster.isWorker;

export async function startPrimary(config: Readonly<Config>): Promise<Primary> {
  const log = pino({ level: config.logLevel });
  // Migrate here, once, so workers never race each other on the schema.
  const store = await openStore(config, { migrate: true });
  await store.close();
  if (config.metricsPort !== null) await serveMetrics(clusterMetricsSource(), config.host, config.metricsPort);
  // Workers inherit the environment: one random pages secret for all of them when none is set.
  if (!config.pagesSecret) process.env.PAGES_SECRET = randomBytes(32).toString('base64url');

  let stopping = false;
  let restarts: number[] = [];
  let anyListened = false;
  let resolveReady!: (url: string) => void;
  let rejectReady!: (err: Error) => void;
  const ready = new Promise<string>((resolve, reject) => {
    resolveReady = resolve;
    rejectReady = reject;
  });

  const stopAll = (code: number) => {
    if (stopping) return;
    stopping = true;
    const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
    if (workers.length === 0) process.exit(code);
    let left = workers.length;
    for (const w of workers) {
      w.once('exit', () => {
        if (--left === 0) process.exit(code);
      });
      w.process.kill('SIGTERM');
    }
  };

  cluster.on('listening', (_worker, address) => {
    anyListened = true;
    const host = address.address && address.address !== '::' ? address.address : config.host;
    resolveReady(`http://${host.includes(':') ? `[${host}]` : host}:${address.port}`);
  });
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) return;
    if (!anyListened) {
      log.error({ pid: worker.process.pid, code, signal }, 'a worker stopped before listening; shutting down');
      rejectReady(new Error(`a worker stopped before listening (exit code ${code ?? signal})`));
      stopAll(1);
      return;
    }
    const now = Date.now();
    restarts = restarts.filter((t) => now - t < RESTART_WINDOW_MS).concat(now);
    if (restarts.length > MAX_RESTARTS) {
      log.error({ pid: worker.process.pid, code, signal, restarts: restarts.length }, 'workers keep dying; shutting down');
      stopAll(1);
      return;
    }
    log.error({ pid: worker.process.pid, code, signal }, 'a worker died; starting a new one');
    cluster.fork();
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      log.info({ signal }, 'shutting down workers');
      stopAll(0);
    });
  }
  for (let i = 0; i < config.workers; i++) cluster.fork();
  void ready.then((url) => log.info({ url, workers: config.workers, database: config.databaseUrl }, 'profile-visitors listening'), () => {});
  return { ready };
}

/** In a worker: shut down gracefully when the primary goes away (it was killed, not stopped). */
export function followPrimary(close: () => Promise<void>): void {
  process.once('disconnect', () => {
    close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}
