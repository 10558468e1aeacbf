import { viewedAgo, type AppError, type ErrorCode, type VisibleViewer, type WorkspaceSettings } from '../../core/index.js';
import type { PresentedError } from '../errors.js';

export function presentVisitor(v: VisibleViewer, settings: WorkspaceSettings, now: number) {
  const shown = v.identity;
  return {
    entityUrn: shown ? settings.urnPrefix + shown.id : null,
    publicIdentifier: shown?.publicIdentifier ?? null,
    name: v.label,
    headline: shown?.headline ?? null,
    profilePicture: shown?.imageUrl ?? null,
    viewedAt: viewedAgo(v.lastViewedAt, now, shown ? 'minute' : 'hour'),
    connectionDegree: v.degree,
    profileUrl: shown?.profileUrl ?? null,
  };
}

/** Status, code and the fixed texts ConnectSafely documents for its error cases. */
const ERRORS: Record<ErrorCode, [number, string, string | null]> = {
  invalid_input: [400, 'BAD_REQUEST', null],
  unauthorized: [401, 'UNAUTHORIZED', 'Unauthorized - Invalid credentials'],
  forbidden: [403, 'FORBIDDEN', null],
  private_mode_forbidden: [403, 'PREMIUM_REQUIRED', 'Premium required to view profile visitors'],
  not_found: [404, 'NOT_FOUND', null],
  unknown_members: [404, 'NOT_FOUND', null],
  conflict: [409, 'CONFLICT', null],
  payload_too_large: [400, 'BAD_REQUEST', null],
  unsupported_media_type: [415, 'UNSUPPORTED_MEDIA_TYPE', null],
  method_not_allowed: [405, 'METHOD_NOT_ALLOWED', null],
  headers_too_large: [431, 'BAD_REQUEST', null],
  insufficient_credits: [402, 'INSUFFICIENT_CREDITS', null],
  rate_limited: [429, 'RATE_LIMITED', null],
  unavailable: [500, 'INTERNAL_ERROR', 'Failed to fetch profile visitors'],
  internal: [500, 'INTERNAL_ERROR', 'Failed to fetch profile visitors'],
};

/** Both documented shapes at once: `{error}` of the reference and `{success, code, message}`. */
export function presentConnectSafelyError(err: AppError): PresentedError {
  const [status, code, fixed] = ERRORS[err.code];
  const text = fixed ?? err.message;
  return { status, body: { success: false, error: text, code, message: text } };
}
