/**
 * Errors as the API answers them: `{error: {code, message, hint}}` with an HTTP status. HttpError
 * is what the server throws about a request (bad JSON, unknown run, too large); slmkit's typed
 * errors keep their code and become 4xx (the request asked for something the library refuses) or
 * 409 (a run folder that cannot be opened as it is); anything else is a 500 whose details stay in
 * the server's log.
 */
import { SlmError } from '../tensor/errors.js';
import type { ApiError, ApiErrorCode } from './api.js';

export class HttpError extends Error {
  override name = 'HttpError';
  constructor(readonly status: number, readonly code: ApiErrorCode, message: string, readonly hint?: string,
    /** Extra response headers (Allow for 405). */
    readonly headers: Record<string, string> = {}) {
    super(message);
  }
}

export const badRequest = (message: string, hint?: string) => new HttpError(400, 'bad-request', message, hint);
export const notFound = (message = 'not found', hint?: string) => new HttpError(404, 'not-found', message, hint);

/** Status and body for any thrown value; `internal` is true for a bug (log it). */
export function errorResponse(err: unknown): { status: number; body: ApiError; headers: Record<string, string>; internal: boolean } {
  if (err instanceof HttpError) {
    return { status: err.status, body: { error: { code: err.code, message: err.message, ...(err.hint ? { hint: err.hint } : {}) } }, headers: err.headers, internal: false };
  }
  if (err instanceof SlmError) {
    const j = err.toJSON();
    const status = j.code === 'checkpoint' || j.code === 'ngram-format' || j.code === 'data' || j.code === 'training' ? 409 : 400;
    return { status, body: { error: { code: err.code, message: j.message, ...(j.hint ? { hint: j.hint } : {}) } }, headers: {}, internal: false };
  }
  return {
    status: 500, headers: {}, internal: true,
    body: { error: { code: 'internal', message: 'the server failed on this request', hint: 'the server log has the details; other requests still work' } },
  };
}
