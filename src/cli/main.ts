#!/usr/bin/env node
/** The `profile-visitors` command. Config comes from the environment, flags override it. */
import { Command, Option } from 'commander';
import { ConfigError, loadConfig, type Config } from '../config.js';
import { serveCommand } from './serve.js';
import { keysCreate, keysList, keysRevoke } from './keys.js';
import { migrateCommand } from './migrate.js';
import { rebuildCommand } from './rebuild.js';

type Flags = Partial<Record<keyof Config, string>>;

function withConfigFlags(cmd: Command): Command {
  return cmd
    .addOption(new Option('--database-url <url>', 'SQLite file path or postgres:// URL (env DATABASE_URL)'))
    .addOption(new Option('--sqlite-synchronous <mode>', 'normal or full (env SQLITE_SYNCHRONOUS)'));
}

function withServerFlags(cmd: Command): Command {
  return withConfigFlags(cmd)
    .addOption(new Option('--host <host>', 'interface to listen on (env HOST)'))
    .addOption(new Option('--port <port>', 'port to listen on (env PORT)'))
    .addOption(new Option('--log-level <level>', 'log level (env LOG_LEVEL)'))
    .addOption(new Option('--workers <n>', 'server processes sharing the port (env WORKERS)'));
}

function config(flags: Flags): Readonly<Config> {
  const picked: Flags = {};
  for (const k of ['databaseUrl', 'sqliteSynchronous', 'host', 'port', 'logLevel', 'workers'] as const) if (flags[k] !== undefined) picked[k] = flags[k];
  return loadConfig(process.env, picked);
}

const program = new Command('profile-visitors').description('Who viewed my profile, as a service').showHelpAfterError();

withServerFlags(program.command('serve').description('run the API server on the configured store')).action(async (flags: Flags) => {
  await serveCommand(config(flags));
});

withServerFlags(program.command('demo').description('fill a demo workspace with realistic data, print keys and curl lines, and serve it'))
  .option('--members <n>', 'members to generate', '300')
  .option('--visits <n>', 'visits to generate', '4000')
  .option('--seed <n>', 'random seed', '42')
  .option('--no-serve', 'generate data and keys, then exit')
  .action(async (flags: Flags & { members: string; visits: string; seed: string; serve: boolean }) => {
    // Loaded on demand: the generator pulls in faker, which `serve` should not pay for at start-up.
    const { demoCommand } = await import('./demo.js');
    await demoCommand(config(flags), { members: Number(flags.members), visits: Number(flags.visits), seed: Number(flags.seed), serve: flags.serve });
  });

const keys = program.command('keys').description('manage API keys');
withConfigFlags(keys.command('create').description('create a key; its secret is printed once'))
  .requiredOption('--workspace <id>', 'workspace id (created if absent)')
  .addOption(new Option('--role <role>', 'admin or member').choices(['admin', 'member']).default('admin'))
  .option('--member <id>', 'the member a member key acts for')
  .option('--name <name>', 'a label for the key')
  .option('--credits <n>', 'credit balance (default unlimited)')
  .action((flags: Flags & { workspace: string; role: 'admin' | 'member'; member?: string; name?: string; credits?: string }) =>
    keysCreate(config(flags), flags),
  );
withConfigFlags(keys.command('list').description('list the keys of a workspace'))
  .requiredOption('--workspace <id>', 'workspace id')
  .action((flags: Flags & { workspace: string }) => keysList(config(flags), flags.workspace));
withConfigFlags(keys.command('revoke').description('revoke a key').argument('<keyId>'))
  .requiredOption('--workspace <id>', 'workspace id')
  .action((keyId: string, flags: Flags & { workspace: string }) => keysRevoke(config(flags), flags.workspace, keyId));

withConfigFlags(program.command('rebuild').description('rebuild one projection of the visit log (e.g. summary) from the log').argument('<projection>')).action(
  (name: string, flags: Flags) => rebuildCommand(config(flags), name),
);

withConfigFlags(program.command('migrate').description('apply pending schema migrations')).action((flags: Flags) => migrateCommand(config(flags)));

program.parseAsync().catch((err: unknown) => {
  if (err instanceof ConfigError) console.error(`configuration error: ${err.message}`);
  else console.error(`error: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
