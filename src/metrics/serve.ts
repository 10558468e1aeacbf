/**
 * METRICS_PORT: a plain HTTP listener answering `GET /metrics`, apart from the API (no key: keep
 * the port on a private network). With WORKERS > 1 the primary listens and sums the workers'
 * figures (asked over the cluster channel, added up with prom-client's aggregation), so a scrape
 * sees the whole server, not whichever worker answered.
 */
import { createServer, type Server } from 'node:http';
import cluster, { type Worker } from 'node:cluster';
import client from 'prom-client';

export interface MetricsSource {
  contentType: string;
  metrics(): Promise<string>;
}

export async function serveMetrics(source: MetricsSource, host: string, port: number): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('only /metrics is served here\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('use GET\n');
      return;
    }
    source.metrics().then(
      (text) => res.writeHead(200, { 'content-type': source.contentType }).end(req.method === 'HEAD' ? undefined : text),
      (err: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics unavailable: ${String(err)}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  server.unref();
  return server;
}

const ASK = 'pv:metrics-request';
const ANSWER = 'pv:metrics-response';
/** A worker that has not answered by then is left out of that scrape rather than failing it. */
const ANSWER_TIMEOUT_MS = 2000;

/**
 * In a WORKERS primary: the sum of the figures of every worker that is serving (prom-client's
 * aggregation). Workers still starting or restarting are left out of that scrape, so a scrape
 * never fails or hangs because one worker is not there yet.
 */
export function clusterMetricsSource(): MetricsSource {
  let next = 0;
  const serving = new Set<number>();
  cluster.on('listening', (worker) => serving.add(worker.id));
  cluster.on('exit', (worker) => serving.delete(worker.id));
  return {
    contentType: client.Registry.PROMETHEUS_CONTENT_TYPE,
    async metrics() {
      const id = next++;
      const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined && serving.has(w.id) && w.isConnected());
      const answers = await Promise.all(workers.map((w) => ask(w, id)));
      // One array per worker (its registry's figures); aggregate() sums them series by series.
      return client.AggregatorRegistry.aggregate(answers.filter((a) => a !== null)).metrics();
    },
  };
}

function ask(worker: Worker, id: number): Promise<client.MetricObjectWithValues<client.MetricValue<string>>[] | null> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => finish(null), ANSWER_TIMEOUT_MS);
    const onMessage = (message: { type?: string; id?: number; metrics?: client.MetricObjectWithValues<client.MetricValue<string>>[] }) => {
      if (message?.type === ANSWER && message.id === id) finish(message.metrics ?? null);
    };
    const finish = (value: client.MetricObjectWithValues<client.MetricValue<string>>[] | null) => {
      clearTimeout(timer);
      worker.off('message', onMessage);
      resolve(value);
    };
    worker.on('message', onMessage);
    worker.send({ type: ASK, id });
  });
}

/** In a worker: answers the primary's requests with this registry's figures. */
export function offerToPrimary(registry: client.Registry): void {
  process.on('message', (message: { type?: string; id?: number }) => {
    if (message?.type !== ASK) return;
    void registry.getMetricsAsJSON().then((metrics) => process.send?.({ type: ANSWER, id: message.id, metrics }));
  });
}
