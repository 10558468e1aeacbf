/** Puts the core (store, clock, authenticator) on the app, once, for every route to use. */
import fp from 'fastify-plugin';
import type { FastifyRequest } from 'fastify';
import { AppError, Authenticator, type Clock, type CoreDeps, type Principal, type Store } from '../../core/index.js';

declare module 'fastify' {
  interface FastifyInstance {
    core: CoreDeps;
    authenticator: Authenticator;
  }
  interface FastifyRequest {
    principal: Principal | null;
  }
}

export interface CorePluginOptions {
  store: Store;
  clock: Clock;
  authCacheMs: number;
}

export const corePlugin = fp<CorePluginOptions>(
  async (app, opts) => {
    const deps: CoreDeps = { store: opts.store, clock: opts.clock };
    app.decorate('core', deps);
    app.decorate('authenticator', new Authenticator(deps, opts.authCacheMs));
    app.decorateRequest('principal', null);
    // First of all hooks, so that every read of the request (auth included) comes after it.
    const { store } = opts;
    if (store.beginRequest) {
      app.addHook('onRequest', (_request, _reply, done) => {
        store.beginRequest!();
        done();
      });
    }
  },
  { name: 'core' },
);

/** The authenticated principal; routes behind an auth hook can rely on it. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new AppError('unauthorized', 'missing API key');
  return request.principal;
}

/** Only admin keys may act on the workspace as a whole. */
export function requireAdmin(request: FastifyRequest): Principal {
  const p = principalOf(request);
  if (p.key.role !== 'admin') throw new AppError('forbidden', 'this operation needs an admin key');
  return p;
}

/**
 * The member a request acts for: a member key always acts for its own member (naming another
 * is forbidden); an admin key must name one.
 */
export function actingMember(request: FastifyRequest, named: string | undefined, param = 'userId'): { principal: Principal; memberId: string } {
  const principal = principalOf(request);
  if (principal.key.role === 'member') {
    if (named !== undefined && named !== principal.key.memberId) {
      throw new AppError('forbidden', 'a member key can only read its own profile');
    }
    return { principal, memberId: principal.key.memberId! };
  }
  if (named === undefined || named === '') throw new AppError('invalid_input', `${param} is required with an admin key`);
  return { principal, memberId: named };
}
