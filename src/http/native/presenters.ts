/** Shapes domain objects into the native API's JSON. */
import type { ApiKey, VisibleViewer } from '../../core/index.js';
import type { PresentedError } from '../errors.js';
import { DEFAULT_STATUS } from '../errors.js';
import type { AppError } from '../../core/index.js';

export function presentViewer(v: VisibleViewer) {
  return {
    appearance: v.appearance,
    blurred: v.blurred,
    label: v.label,
    viewer: v.identity,
    traits: v.traits,
    degree: v.degree,
    viewCount: v.viewCount,
    firstViewedAt: v.firstViewedAt,
    lastViewedAt: v.lastViewedAt,
    lastSource: v.lastSource,
  };
}

export function presentKey(k: ApiKey) {
  return { id: k.id, role: k.role, memberId: k.memberId, name: k.name, credits: k.credits, createdAt: k.createdAt, revokedAt: k.revokedAt };
}

export function presentNativeError(err: AppError): PresentedError {
  return {
    status: DEFAULT_STATUS[err.code],
    body: { error: { code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) } },
  };
}
