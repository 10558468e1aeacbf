/**
 * One typed error model for the whole service. Use cases throw these; each HTTP dialect maps
 * them to its own status and body in one place (its error presenter).
 */
export type ErrorCode =
  | 'invalid_input'
  | 'unauthorized'
  | 'forbidden'
  /** Reciprocity: a free member in private mode cannot see their own viewers. */
  | 'private_mode_forbidden'
  | 'not_found'
  | 'unknown_members'
  | 'conflict'
  | 'payload_too_large'
  | 'unsupported_media_type'
  /** The path exists, with other methods (the HTTP layer says which in `Allow`). */
  | 'method_not_allowed'
  /** The request's head (headers, or a query string) is larger than the server reads. */
  | 'headers_too_large'
  | 'insufficient_credits'
  | 'rate_limited'
  | 'unavailable'
  | 'internal';

export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'AppError';
  }
}

export const invalidInput = (message: string, details?: Record<string, unknown>) =>
  new AppError('invalid_input', message, details);
export const notFound = (message: string) => new AppError('not_found', message);
export const forbidden = (message: string) => new AppError('forbidden', message);
