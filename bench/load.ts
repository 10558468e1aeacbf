/**
 * Drives a server with autocannon (programmatic API): a warm-up that is thrown away, then the
 * measured run. Each request is built by `next()`, so paths and bodies follow the scenario's
 * distribution instead of repeating one URL.
 */
import autocannon from 'autocannon';

export interface RequestSpec {
  method: 'GET' | 'POST';
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

export interface LoadOptions {
  url: string;
  connections: number;
  duration: number;
  warmup: number;
  next(): RequestSpec;
  /** Called between the warm-up and the measured run. */
  onMeasureStart?(): void;
}

export interface LoadResult {
  /** Average requests per second over the measured run (all answers). */
  rps: number;
  /** Total answers counted during the measured run. */
  requests: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number };
  /** Connection errors and resets (timeouts not included). */
  errors: number;
  /** Requests not answered within autocannon's 10 s timeout: a timing, reported but not a failure. */
  timeouts: number;
  non2xx: number;
  statusCodes: Record<string, number>;
  durationS: number;
}

function once(url: string, connections: number, duration: number, next: () => RequestSpec): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url,
        connections,
        duration,
        requests: [
          {
            setupRequest: (req: autocannon.Request) => {
              const spec = next();
              return {
                ...req,
                method: spec.method,
                path: spec.path,
                headers: { ...(spec.body !== undefined ? { 'content-type': 'application/json' } : {}), ...spec.headers },
                body: spec.body,
              } as autocannon.Request;
            },
          },
        ],
      },
      (err, result) => (err ? reject(err) : resolve(result)),
    );
    void instance;
  });
}

export async function drive(opts: LoadOptions): Promise<LoadResult> {
  if (opts.warmup > 0) await once(opts.url, opts.connections, opts.warmup, opts.next);
  opts.onMeasureStart?.();
  const r = await once(opts.url, opts.connections, opts.duration, opts.next);
  const codes: Record<string, number> = {};
  for (const [code, v] of Object.entries(r.statusCodeStats ?? {})) codes[code] = (v as { count: number }).count;
  return {
    rps: r.requests.average,
    requests: r.requests.total,
    latencyMs: { p50: r.latency.p50, p90: r.latency.p90, p99: r.latency.p99, max: r.latency.max, mean: r.latency.average },
    // autocannon counts a timeout as an error too; here errors are the other failures only.
    errors: r.errors - r.timeouts,
    timeouts: r.timeouts,
    non2xx: r.non2xx,
    statusCodes: codes,
    durationS: r.duration,
  };
}
