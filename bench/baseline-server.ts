/**
 * The baseline: a Fastify hello-world in its own process, answering GET / with a fixed JSON
 * of about the size of a 10-viewer Networked page. Whatever the service reaches is reported
 * as a ratio of this, measured in the same run on the same machine.
 */
import Fastify from 'fastify';

const now = Date.now();
const BASELINE_PAYLOAD = {
  data: {
    start: 0,
    count: 10,
    nextStart: 10,
    content: Array.from({ length: 10 }, (_, i) => ({
      userId: `m${String(1000 + i).padStart(7, '0')}`,
      name: i % 3 === 2 ? 'Someone at Acmetron Labs' : 'Grace Hopper',
      title: i % 3 === 2 ? '' : 'Senior Software Engineer',
      image: i % 3 === 2 ? '' : `https://img.example.com/p/grace-hopper-${i}.jpg`,
      industries: 'Software Development',
      timeStamp: now - i * 3_600_000,
    })),
  },
  error: false,
  message: 'Success',
};

const app = Fastify({ logger: false });
app.get('/healthz', async () => ({ status: 'ok' }));
app.get('/', async () => BASELINE_PAYLOAD);
await app.listen({ host: process.env.HOST ?? '127.0.0.1', port: Number(process.env.PORT ?? 3001) });
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void app.close().then(() => process.exit(0)));
