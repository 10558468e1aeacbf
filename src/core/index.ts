/** The core's public surface: what adapters (HTTP, CLI, storage) may import. */
export * from './types.js';
export * from './errors.js';
export * from './clock.js';
export * from './store.js';
export * from './validation.js';
export * from './rules/reading-rules.js';
export * from './use-cases/deps.js';
export * from './use-cases/record-visits.js';
export * from './use-cases/list-viewers.js';
export * from './use-cases/members.js';
export * from './use-cases/connections.js';
export * from './use-cases/blocks.js';
export * from './use-cases/api-keys.js';
export * from './use-cases/workspaces.js';
export * from './use-cases/charge-credits.js';
export * from './rules/relative-time.js';
export * from './rules/connection-degrees.js';
