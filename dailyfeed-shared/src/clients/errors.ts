/**
 * What a service client throws. Both extend AppError, so an uncaught one still becomes a
 * proper envelope through the shared error handler:
 * - ServiceUnavailableError: the call did not get a usable answer (network, timeout, breaker
 *   open, rate limit exceeded, 5xx after retries, a 2xx that is not a success envelope).
 *   503 with `<SERVICE>_SERVICE_UNAVAILABLE`.
 * - UpstreamRejectedError: the other service answered 4xx. It carries that status, code and
 *   message; the calling application decides what it means for its own client.
 */
import { AppError } from '../http/errors.ts';
import type { ServiceName } from './profiles.ts';

export type UnavailableReason =
  | 'network'
  | 'timeout'
  | 'circuit-open'
  | 'rate-limited'
  | 'upstream-5xx'
  | 'bad-response';

export const unavailableCode = (service: ServiceName) => `${service.toUpperCase()}_SERVICE_UNAVAILABLE` as const;

export class ServiceUnavailableError extends AppError {
  readonly service: ServiceName;
  readonly reason: UnavailableReason;
  /** The last upstream HTTP status when the reason is `upstream-5xx` or `bad-response`. */
  readonly upstreamStatus?: number;

  constructor(service: ServiceName, reason: UnavailableReason, options: { cause?: unknown; upstreamStatus?: number } = {}) {
    super(503, unavailableCode(service), `${service} service is unavailable (${reason})`, { cause: options.cause });
    this.name = 'ServiceUnavailableError';
    this.service = service;
    this.reason = reason;
    if (options.upstreamStatus !== undefined) this.upstreamStatus = options.upstreamStatus;
  }
}

export class UpstreamRejectedError extends AppError {
  readonly service: ServiceName;
  /** Same as `status`: the upstream's 4xx. */
  readonly upstreamStatus: number;
  readonly responseHeaders: Headers;

  constructor(
    service: ServiceName,
    upstreamStatus: number,
    code: string,
    message: string,
    options: { details?: Array<{ field: string; message: string }>; responseHeaders?: Headers } = {},
  ) {
    super(upstreamStatus, code, message, options.details ? { details: options.details } : {});
    this.name = 'UpstreamRejectedError';
    this.service = service;
    this.upstreamStatus = upstreamStatus;
    this.responseHeaders = options.responseHeaders ?? new Headers();
  }
}
