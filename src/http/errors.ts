/**
 * Turns anything thrown while serving a request into the core's typed error, so each API
 * dialect only has to say how an `AppError` looks on its wire.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, type ErrorCode } from '../core/index.js';

/** The status each error code gets unless a dialect says otherwise. */
export const DEFAULT_STATUS: Record<ErrorCode, number> = {
  invalid_input: 400,
  unauthorized: 401,
  forbidden: 403,
  private_mode_forbidden: 403,
  not_found: 404,
  unknown_members: 422,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  method_not_allowed: 405,
  headers_too_large: 431,
  insufficient_credits: 402,
  rate_limited: 429,
  unavailable: 503,
  internal: 500,
};

const BY_STATUS: Record<number, ErrorCode> = {
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
  431: 'headers_too_large',
};

/** Every body this service reads is JSON. */
export const EXPECTED_CONTENT_TYPE = 'application/json';

export function toAppError(err: unknown, request?: Pick<FastifyRequest, 'headers'>): AppError {
  if (err instanceof AppError) return err;
  const fe = err as Partial<FastifyError> & { validation?: unknown[] };
  if (fe && Array.isArray(fe.validation)) return new AppError('invalid_input', validationMessage(fe.validationContext, fe.validation as AjvIssue[]));
  if (fe?.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    // Say what to send instead: the newcomer's usual mistake is a form or text/plain body.
    const sent = request?.headers['content-type'];
    return new AppError(
      'unsupported_media_type',
      `unsupported media type ${sent ? `"${sent}"` : '(no Content-Type header)'}: send the body as ${EXPECTED_CONTENT_TYPE}`,
      { expected: EXPECTED_CONTENT_TYPE },
    );
  }
  if (fe?.code === 'FST_ERR_BAD_URL') return new AppError('invalid_input', 'the path is not valid percent-encoded UTF-8');
  if (fe?.code === 'FST_ERR_MAX_PARAM_LENGTH') return new AppError('invalid_input', `a path parameter is longer than ${MAX_PARAM_LENGTH} characters`);
  const status = typeof fe?.statusCode === 'number' ? fe.statusCode : 500;
  if (status >= 400 && status < 500) {
    const message = status === 413 ? 'request body is too large' : fe.message ?? 'bad request';
    return new AppError(BY_STATUS[status] ?? 'invalid_input', message);
  }
  return new AppError('internal', 'internal error');
}

export interface PresentedError {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/** `request` is absent for a refusal made before a request exists (an unreadable request head). */
export type ErrorPresenter = (err: AppError, request?: Pick<FastifyRequest, 'body' | 'url'>) => PresentedError;

/** The longest path parameter the router takes: member ids go up to 128 characters, URL-encoded three times longer. */
export const MAX_PARAM_LENGTH = 512;

/**
 * Installs a dialect's presenter as the error handler of its encapsulated context: validation,
 * parsing, auth and use-case errors alike come out in that dialect's shape. Internal errors are
 * logged with their cause and never leak it to the client.
 */
export function useErrorPresenter(app: FastifyInstance, present: ErrorPresenter): void {
  app.setErrorHandler((err, request, reply: FastifyReply) => {
    const appErr = toAppError(err, request);
    if (appErr.code === 'internal') request.log.error({ err }, 'request failed');
    const { status, body, headers } = present(appErr, request);
    if (headers) reply.headers(headers);
    if (err && typeof (err as { headers?: unknown }).headers === 'object') reply.headers((err as { headers: Record<string, string> }).headers);
    return reply.status(status).send(body);
  });
}

interface AjvIssue {
  keyword: string;
  instancePath: string;
  message?: string;
  params?: Record<string, unknown>;
}

const CONTEXT: Record<string, string> = { querystring: 'query parameter', body: 'body field', params: 'path parameter', headers: 'header' };

/** "query parameter count is required", "body field visits/0/profileId must be string". */
function validationMessage(context: string | undefined, issues: AjvIssue[]): string {
  const first = issues[0];
  if (!first) return 'invalid request';
  const where = CONTEXT[context ?? ''] ?? 'field';
  const path = first.instancePath.replace(/^\//, '').replace(/\//g, '.');
  if (first.keyword === 'required') {
    const name = [path, String(first.params?.missingProperty ?? '')].filter(Boolean).join('.');
    return `${where} ${name} is required`;
  }
  if (first.keyword === 'additionalProperties') {
    return `${where} ${[path, String(first.params?.additionalProperty ?? '')].filter(Boolean).join('.')} is not allowed`;
  }
  if (first.keyword === 'enum' && Array.isArray(first.params?.allowedValues)) {
    return `${where} ${path} must be one of: ${(first.params.allowedValues as unknown[]).join(', ')}`;
  }
  if (!path) return `${context === 'body' ? 'body' : where} ${first.message ?? 'is invalid'}`;
  return `${where} ${path} ${first.message ?? 'is invalid'}`;
}
