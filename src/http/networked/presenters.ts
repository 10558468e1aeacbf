import { DEFAULT_STATUS, type PresentedError } from '../errors.js';
import type { AppError, VisibleViewer } from '../../core/index.js';

/** Hidden fields are empty strings, as Networked renders missing data. */
export function presentVisit(v: VisibleViewer) {
  return {
    userId: v.identity?.id ?? '',
    name: v.label,
    title: v.identity?.headline ?? '',
    image: v.identity?.imageUrl ?? '',
    industries: v.traits?.industry ?? '',
    timeStamp: v.lastViewedAt,
  };
}

export function presentNetworkedError(err: AppError): PresentedError {
  // Networked answers with 400, 401, 403, 404, 429 or 500 only.
  const status = err.code === 'unknown_members' || err.code === 'payload_too_large' || err.code === 'unsupported_media_type' ? 400 : DEFAULT_STATUS[err.code];
  return { status: [400, 401, 403, 404, 429].includes(status) ? status : 500, body: { data: null, error: true, message: err.message } };
}
