/**
 * Refusals made before, or instead of, a route: a path no route serves, a method the path does
 * not take, a path the router cannot read (malformed percent-encoding, an over-long parameter)
 * and a request head too large to read. Fastify answers these in its own JSON by default; here
 * each answers in the error shape of the API its path belongs to (docs/compatibility.md,
 * "Errors"), so a client of a compatible API meets only that API's shape, whatever the cause.
 */
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyInstance, FastifyReply, FastifyRequest, FastifyServerOptions } from 'fastify';
import { AppError } from '../../core/index.js';
import { toAppError, type ErrorPresenter, type PresentedError } from '../errors.js';

/** The API that owns every path under `prefix`. */
export interface PathOwner {
  prefix: string;
  present: ErrorPresenter;
}

/** The methods a 405's `Allow` header can list. */
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

const pathOf = (url: string) => url.split('?')[0] ?? '/';

/** One presenter that answers in the shape of whichever API owns the request's path (`fallback` for the rest). */
export function presenterByPath(owners: PathOwner[], fallback: ErrorPresenter): ErrorPresenter {
  return (err, request) => {
    const path = pathOf(request?.url ?? '/');
    const owner = owners.find((o) => path === o.prefix || path.startsWith(`${o.prefix}/`));
    return (owner?.present ?? fallback)(err, request);
  };
}

function send(reply: FastifyReply, presented: PresentedError) {
  if (presented.headers) reply.headers(presented.headers);
  return reply.status(presented.status).send(presented.body);
}

/**
 * The handler for requests no route takes: 405 with `Allow` when the path exists with other
 * methods (a newcomer's POST to a GET endpoint is told which to use), else 404.
 */
export function useUnroutedHandler(app: FastifyInstance, present: ErrorPresenter): void {
  app.setNotFoundHandler((request, reply) => {
    const path = pathOf(request.url);
    const allowed = METHODS.filter((method) => method !== request.method && app.findRoute({ method, url: path }) !== null);
    if (allowed.length > 0) {
      reply.header('allow', allowed.join(', '));
      const err = new AppError('method_not_allowed', `${request.method} is not allowed on ${path}: use ${allowed.join(', ')}`, { allow: allowed });
      return send(reply, present(err, request));
    }
    return send(reply, present(new AppError('not_found', `no route ${request.method} ${path}`), request));
  });
}

/** Fastify's `frameworkErrors`: a path it cannot route (bad percent-encoding, an over-long parameter). */
export function frameworkErrorsIn(present: ErrorPresenter): NonNullable<FastifyServerOptions['frameworkErrors']> {
  return (error, request: FastifyRequest, reply: FastifyReply) => send(reply, present(toAppError(error, request), request));
}

/** The request line of a request whose head could not be read whole, for its path. */
function pathOfRawRequest(raw: unknown): string {
  if (!Buffer.isBuffer(raw)) return '/';
  const line = raw.subarray(0, 8192).toString('latin1').split('\r\n', 1)[0] ?? '';
  const m = /^[A-Z]+ (\S+)/.exec(line);
  return m?.[1] ?? '/';
}

/**
 * Fastify's `clientErrorHandler`: Node refused the request before it became one (a header or a
 * query string over the size the server reads, a malformed request). The answer is written on
 * the socket, in the shape of the API the request line names when it can be read.
 */
export function clientErrorsIn(present: ErrorPresenter): NonNullable<FastifyServerOptions['clientErrorHandler']> {
  return (err: Error & { code?: string; rawPacket?: unknown }, socket: Socket) => {
    // A connection reset leaves nobody to answer.
    if (err.code === 'ECONNRESET' || socket.destroyed) return;
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
    const appErr =
      status === 431
        ? new AppError('headers_too_large', 'the request headers or query string are too large: send less in them (a body can carry more)')
        : status === 408
          ? new AppError('invalid_input', 'the request was not received in time')
          : new AppError('invalid_input', 'the request is not valid HTTP');
    const presented = present(appErr, { body: null, url: pathOfRawRequest(err.rawPacket) });
    const body = JSON.stringify(presented.body);
    // The presenter's status, but a timeout stays a 408 whatever the API's shape.
    const code = status === 408 ? 408 : presented.status;
    if (socket.writable) {
      socket.write(
        `HTTP/1.1 ${code} ${STATUS_CODES[code] ?? 'Bad Request'}\r\nContent-Type: application/json; charset=utf-8\r\n` +
          `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
    }
    socket.destroy(err);
  };
}
