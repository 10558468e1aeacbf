/**
 * Runs the real `profile-visitors` command as a child process, for the tests that need a real
 * process: the CLI itself, a server killed with SIGKILL, the bundle users run. By default through
 * tsx, from the sources; `command` names another way to run it (node's arguments before the
 * command's own).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** Node's arguments that run the command from the sources. */
export const FROM_SOURCES: readonly string[] = ['--import', 'tsx', 'src/cli/main.ts'];

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** The environment a child gets: this process's, minus the service's own settings, plus `env`. */
function childEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = { ...process.env };
  for (const name of [
    'HOST',
    'PORT',
    'DATABASE_URL',
    'SQLITE_SYNCHRONOUS',
    'LOG_LEVEL',
    'BODY_LIMIT_BYTES',
    'RATE_LIMIT_MAX',
    'RATE_LIMIT_WINDOW_MS',
    'AUTH_CACHE_MS',
    'PG_POOL_SIZE',
    'WORKERS',
  ]) {
    delete base[name];
  }
  return { ...base, ...env };
}

/**
 * Runs one CLI command to completion. `killAfterMs` is a guard for commands that should stop
 * on their own (a server that wrongly starts would otherwise run forever): the child is then
 * SIGKILLed and the result says so in `signal`.
 */
export function runCli(
  args: string[],
  env: Record<string, string>,
  opts: { killAfterMs?: number; command?: readonly string[]; /** Written to the command's standard input. */ input?: string } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const stdin = opts.input === undefined ? 'ignore' : 'pipe';
    const child = spawn(process.execPath, [...(opts.command ?? FROM_SOURCES), ...args], { cwd: REPO_ROOT, env: childEnv(env), stdio: [stdin, 'pipe', 'pipe'] });
    if (opts.input !== undefined) child.stdin!.end(opts.input);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => (stderr += d));
    const guard = opts.killAfterMs ? setTimeout(() => child.kill('SIGKILL'), opts.killAfterMs) : undefined;
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(guard);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** The secret printed by `keys create` ("secret (shown once): ..."). */
export function secretFrom(output: string): string {
  const m = /secret \(shown once\): (\S+)/.exec(output);
  if (!m) throw new Error(`no secret in CLI output:\n${output}`);
  return m[1]!;
}

/**
 * Ports for servers that tests start themselves. Below the kernel's ephemeral range (32768 and
 * up on Linux), from which outgoing connections and listeners on port 0 take theirs: a port
 * from that range could be taken between `freePort` and the server's listen (a CI run lost a
 * WORKERS=2 server to EADDRINUSE so). Each Vitest worker has a block of its own.
 */
const PORT_BASE = 20_000;
const PORT_BLOCK = 1_000;
const portPool = Number(process.env.VITEST_POOL_ID ?? 0) % 12;
let nextPort = Math.floor(Math.random() * PORT_BLOCK);

/** A TCP port nobody listens on right now, and that no other test process hands out. */
export async function freePort(): Promise<number> {
  for (let tried = 0; tried < PORT_BLOCK; tried++) {
    const port = PORT_BASE + portPool * PORT_BLOCK + (nextPort++ % PORT_BLOCK);
    if (await canListen(port)) return port;
  }
  throw new Error(`no free port in ${PORT_BASE + portPool * PORT_BLOCK}..${PORT_BASE + (portPool + 1) * PORT_BLOCK - 1}`);
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

export interface ServerProcess {
  child: ChildProcess;
  url: string;
  output(): string;
  /** Resolves with how the process ended. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const running = new Set<ChildProcess>();

/**
 * Starts `profile-visitors <command>` (serve by default) on `env.PORT` and resolves once
 * /healthz answers; rejects with the process output if it exits first.
 */
export async function startServerProcess(
  env: Record<string, string> & { PORT: string },
  args: string[] = ['serve'],
  command: readonly string[] = FROM_SOURCES,
): Promise<ServerProcess> {
  const child = spawn(process.execPath, [...command, ...args], { cwd: REPO_ROOT, env: childEnv({ HOST: '127.0.0.1', ...env }), stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
    }),
  );
  const url = `http://127.0.0.1:${env.PORT}`;
  let gone = false;
  void exited.then(() => (gone = true));
  for (;;) {
    if (gone) throw new Error(`server exited before it was ready:\n${out}`);
    try {
      const res = await fetch(`${url}/healthz`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { child, url, output: () => out, exited };
}

/** Kills (SIGKILL) every server this module started that is still running; for afterEach/afterAll. */
export async function killServers(): Promise<void> {
  const waits: Promise<unknown>[] = [];
  for (const child of running) {
    if (child.exitCode === null && child.signalCode === null) {
      waits.push(new Promise((r) => child.once('exit', r)));
      child.kill('SIGKILL');
    }
  }
  await Promise.all(waits);
}

/** A request on a connection of its own, so that WORKERS spreads them over the workers. */
export function getOnOwnConnection(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { agent: false, headers: { connection: 'close', ...headers } }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('error', reject);
    req.end();
  });
}
