/** Errors of the pages' routes as HTML pages, in the status the API would use. */
import type { AppError } from '../core/index.js';
import { DEFAULT_STATUS, type PresentedError } from '../http/errors.js';
import { errorPage } from './layout.js';
import { pageCsp } from './security.js';

const TITLES: Partial<Record<number, string>> = {
  400: 'Something in this address is not right',
  401: 'This link is not valid',
  403: 'Not available',
  404: 'Not found',
  429: 'Too many requests',
};

export function pageHeaders(frameAncestors: readonly string[] = []): Record<string, string> {
  return {
    'content-type': 'text/html; charset=utf-8',
    'content-security-policy': pageCsp(frameAncestors),
    'referrer-policy': 'no-referrer',
    'x-content-type-options': 'nosniff',
    'cache-control': 'no-store',
  };
}

export function presentHtmlError(err: AppError): PresentedError {
  const status = DEFAULT_STATUS[err.code];
  const message = status >= 500 ? 'Something went wrong on our side. Please try again later.' : err.message;
  return { status, body: errorPage(TITLES[status] ?? 'Something went wrong', message), headers: pageHeaders() };
}
