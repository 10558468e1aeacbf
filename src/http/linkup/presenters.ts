import type { FastifyRequest } from 'fastify';
import type { AppError, ErrorCode, VisibleViewer, WorkspaceSettings } from '../../core/index.js';
import type { PresentedError } from '../errors.js';

export function presentViewer(v: VisibleViewer, settings: WorkspaceSettings, hiddenImageUrl: string) {
  const shown = v.identity;
  return {
    title: v.label,
    image_url: shown ? shown.imageUrl : hiddenImageUrl,
    is_blurred: shown === null,
    cta_action: shown === null ? 'View' : v.degree === '1st' ? 'Message' : 'Connect',
    profile_url: shown ? shown.profileUrl : null,
    entity_urn: shown ? settings.urnPrefix + shown.id : null,
  };
}

/** LinkupAPI's error codes and the statuses it gives them. */
const CODES: Record<ErrorCode, [string, number]> = {
  invalid_input: ['INVALID_PARAMS', 400],
  unauthorized: ['INVALID_API_KEY', 403],
  forbidden: ['INVALID_ACCOUNT', 404],
  private_mode_forbidden: ['ACCOUNT_INACTIVE', 403],
  not_found: ['INVALID_ACCOUNT', 404],
  unknown_members: ['INVALID_ACCOUNT', 404],
  conflict: ['INVALID_PARAMS', 409],
  payload_too_large: ['INVALID_PARAMS', 400],
  unsupported_media_type: ['INVALID_PARAMS', 415],
  method_not_allowed: ['METHOD_NOT_ALLOWED', 405],
  headers_too_large: ['INVALID_PARAMS', 431],
  insufficient_credits: ['INSUFFICIENT_CREDITS', 402],
  rate_limited: ['RATE_LIMITED', 429],
  unavailable: ['INTERNAL_ERROR', 500],
  internal: ['INTERNAL_ERROR', 500],
};

export const INVALID_ACTION = 'INVALID_ACTION';

export function linkupErrorPresenter(now: () => number) {
  return (err: AppError, request?: Pick<FastifyRequest, 'body' | 'url'>): PresentedError => {
    const [code, status] = err.details?.linkupCode === INVALID_ACTION ? [INVALID_ACTION, 400] : CODES[err.code];
    const body = (request?.body ?? null) as { action?: unknown } | null;
    return {
      status,
      body: {
        success: false,
        error: { code, message: err.message },
        metadata: { action: typeof body?.action === 'string' ? body.action : null, credits_consumed: 0, timestamp: new Date(now()).toISOString() },
      },
    };
  };
}
