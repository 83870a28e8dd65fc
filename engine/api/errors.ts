// Docker's error answer: `{"message": …}` with Content-Type exactly
// application/json (the Go client decodes JSON only on that value) and
// Docker's status codes. Engine errors (engine/errors.ts) carry their own
// status; this is the one place that turns any error into a response.
import { isWharfError } from '../errors.js';

/** An error raised by the API layer itself (bad parameter, not found, conflict...). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export const badRequest = (msg: string): ApiError => new ApiError(400, msg);
export const notFound = (msg: string): ApiError => new ApiError(404, msg);
export const conflict = (msg: string): ApiError => new ApiError(409, msg);
export const notModified = (): ApiError => new ApiError(304, '');

/** Status and message for any thrown value. */
export function errorResponse(err: unknown): { status: number; message: string } {
  if (err instanceof ApiError) return { status: err.status, message: err.message };
  if (isWharfError(err)) return { status: err.status, message: err.message };
  if (err instanceof SyntaxError) return { status: 400, message: `invalid JSON: ${err.message}` };
  const message = err instanceof Error ? err.message : String(err);
  return { status: 500, message };
}
