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
  // Networked documents 400, 401, 403, 404, 429 and 500; a wrong method, content type or an
  // oversized request head keep their own HTTP status (405 with Allow, 415, 431) so that a
  // client is told what to change, in Networked's body shape; so does a conflict (409).
  const status = err.code === 'unknown_members' || err.code === 'payload_too_large' ? 400 : DEFAULT_STATUS[err.code];
  return { status: [400, 401, 403, 404, 405, 409, 415, 429, 431].includes(status) ? status : 500, body: { data: null, error: true, message: err.message } };
}
