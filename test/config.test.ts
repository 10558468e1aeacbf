import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';

describe('configuration', () => {
  it('has documented defaults and is frozen', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ host: '127.0.0.1', port: 3000, databaseUrl: './data/profile-visitors.db', sqliteSynchronous: 'normal', readCacheMb: 48 });
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('reads the environment and lets flags override it', () => {
    const c = loadConfig({ PORT: '8080', SQLITE_SYNCHRONOUS: 'full' }, { port: '9090' });
    expect(c.port).toBe(9090);
    expect(c.sqliteSynchronous).toBe('full');
  });

  it.each([
    [{ PORT: 'abc' }, /PORT must be an integer/],
    [{ PORT: '70000' }, /PORT must be an integer from 0 to 65535/],
    [{ SQLITE_SYNCHRONOUS: 'maybe' }, /SQLITE_SYNCHRONOUS must be one of normal, full/],
    [{ LOG_LEVEL: 'loud' }, /LOG_LEVEL must be one of/],
    [{ DATABASE_URL: 'mysql://x@y/z' }, /DATABASE_URL must be a SQLite file path or a postgres:\/\/ URL/],
    [{ DATABASE_URL: ' ' }, /DATABASE_URL must not be empty/],
    [{ READ_CACHE_MB: '-1' }, /READ_CACHE_MB must be an integer from 0/],
  ])('refuses %o with a message naming the variable', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('names the flag when a flag is wrong', () => {
    expect(() => loadConfig({}, { port: 'x' })).toThrow(/--port must be an integer/);
  });
});
