import cliProgress from 'cli-progress';
import { createApiKey, ensureWorkspace, listApiKeys, revokeApiKey, systemClock, type CoreDeps } from '../core/index.js';
import type { Config } from '../config.js';
import { generateDemo } from '../demo/generate.js';
import { startServer, type RunningServer } from '../server.js';
import { openStore } from '../storage/open-store.js';

export const DEMO_WORKSPACE = 'demo';
const DEMO_KEY_NAMES = ['demo admin', 'demo free member', 'demo premium member'];

export async function demoCommand(config: Readonly<Config>, opts: { members: number; visits: number; seed: number; serve: boolean }) {
  for (const [name, v] of Object.entries({ members: opts.members, visits: opts.visits, seed: opts.seed })) {
    if (!Number.isSafeInteger(v) || v < (name === 'members' ? 3 : 0)) throw new Error(`--${name} must be an integer${name === 'members' ? ' of at least 3' : ''}`);
  }
  // With --no-serve nothing listens: the data is written straight to the store, so the
  // configured port may well be in use (by the server the printed lines are meant for).
  let server: RunningServer | undefined;
  let deps: CoreDeps;
  if (opts.serve) {
    server = await startServer({ ...config, logLevel: config.logLevel === 'info' ? 'warn' : config.logLevel });
    deps = server.app.core;
  } else {
    deps = { store: await openStore(config), clock: systemClock };
  }
  try {
    return await fillAndPrint(config, deps, opts, server);
  } finally {
    if (!server) await deps.store.close();
  }
}

async function fillAndPrint(
  config: Readonly<Config>,
  deps: CoreDeps,
  opts: { members: number; visits: number; seed: number },
  server: RunningServer | undefined,
) {
  const workspace = await ensureWorkspace(deps, DEMO_WORKSPACE, 'Demo community');
  let freeMember = 'm00001';
  let premiumMember = 'm00002';
  if (await deps.store.members.get(workspace.id, freeMember)) {
    console.log(`demo workspace already filled in ${config.databaseUrl}; reusing it`);
  } else {
    console.log(`generating ${opts.members} members and ${opts.visits} visits (seed ${opts.seed})`);
    const bar = new cliProgress.SingleBar({ format: 'visits {bar} {percentage}% | {value}/{total}', hideCursor: true }, cliProgress.Presets.shades_classic);
    bar.start(opts.visits, 0);
    const data = await generateDemo(deps, workspace, {
      members: opts.members,
      visits: opts.visits,
      connectionsPerMember: 10,
      seed: opts.seed,
      onProgress: (done) => bar.update(done),
    });
    bar.stop();
    freeMember = data.freeMember;
    premiumMember = data.premiumMember;
  }
  // Each run prints fresh keys (a secret is stored only as a hash and cannot be shown again);
  // the previous run's demo keys are revoked rather than left to pile up, and the output says so.
  const previous = (await listApiKeys(deps, workspace)).filter((k) => k.revokedAt === null && DEMO_KEY_NAMES.includes(k.name ?? ''));
  for (const k of previous) await revokeApiKey(deps, workspace, k.id);
  if (previous.length > 0) {
    console.log(`revoked the ${previous.length} demo keys of the previous run (${previous.map((k) => k.id).join(', ')}); new ones below`);
  }
  const admin = await createApiKey(deps, workspace, { role: 'admin', name: 'demo admin' });
  const free = await createApiKey(deps, workspace, { role: 'member', memberId: freeMember, name: 'demo free member' });
  const premium = await createApiKey(deps, workspace, { role: 'member', memberId: premiumMember, name: 'demo premium member', credits: 1000 });
  const url = server?.url ?? `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${config.port}`;
  const where = server
    ? `profile-visitors is running at ${url}  (API docs: ${url}/docs)`
    : `Demo data is ready in ${config.databaseUrl}. Start the server on it with \`profile-visitors serve\` (npm start);\nit answers at ${url}  (API docs: ${url}/docs)`;
  console.log(`
${where}

  admin key            ${admin.secret}
  free member key      ${free.secret}   (member ${freeMember})
  premium member key   ${premium.secret}   (member ${premiumMember}, 1000 credits)

Try:
  # Networked: who viewed my profile
  curl '${url}/api/v1/profile/visits?start=0&count=10' -H 'x-api-key: ${free.secret}'

  # Native: the premium member's visitors, with connection degrees
  curl '${url}/v1/members/${premiumMember}/visitors?limit=10&degrees=true' -H 'Authorization: Bearer ${premium.secret}'

  # Native: record a visit (admin)
  curl -X POST '${url}/v1/visits' -H 'x-api-key: ${admin.secret}' -H 'content-type: application/json' \\
       -d '{"profileId":"${freeMember}","viewerId":"m00003","source":"search"}'

  # Native: a member profile (admin)
  curl '${url}/v1/members/${freeMember}' -H 'x-api-key: ${admin.secret}'

  # LinkupAPI: the premium member's viewers
  curl '${url}/v2/profiles' -H 'x-api-key: ${premium.secret}' -H 'content-type: application/json' \\
       -d '{"account_id":"${premiumMember}","action":"get_viewers","params":{"count":10,"offset":0}}'

  # ConnectSafely: the premium member's visitors
  curl '${url}/linkedin/profile/visitors' -H 'Authorization: Bearer ${premium.secret}' -H 'content-type: application/json' \\
       -d '{"count":10}'
`);
  return server;
}
