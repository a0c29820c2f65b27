/**
 * The one HTTP client for service-to-service calls (operations.md §4).
 *
 * Policy order "timeout -> retry -> circuit breaker -> rate limiter", read from the call
 * outwards, each wrapping the previous one:
 *
 *   rate limiter ( circuit breaker ( retry ( timeout ( fetch ) ) ) )
 *
 * - timeout: per attempt (`callTimeoutMs`), aborting the fetch; a slow call is a failure.
 * - retry: network errors, timeouts and 5xx, only for idempotent calls (GET, PUT, DELETE, or
 *   `idempotent: true`); never on a 4xx; constant backoff.
 * - circuit breaker: counts one outcome per logical call (after its retries) in a count window:
 *   opens when failures >= X% of the last N calls (at least M calls); half-open after the
 *   profile's time lets one test call through. While open, calls fail in well under a millisecond.
 *   A 4xx answer is a success for the breaker: the other service is up and answering.
 * - rate limiter: a permit per logical call, waiting at most the profile's max wait.
 *
 * Results: the `data` of the success envelope; ServiceUnavailableError (503,
 * `<SERVICE>_SERVICE_UNAVAILABLE`) for every transport failure; UpstreamRejectedError for a 4xx.
 * Outbound requests carry the current request's `x-request-id` and `traceparent`.
 */
import {
  BrokenCircuitError,
  CircuitState,
  ConstantBackoff,
  CountBreaker,
  IsolatedCircuitError,
  TaskCancelledError,
  TimeoutStrategy,
  circuitBreaker,
  handleType,
  retry,
  timeout,
  type CircuitBreakerPolicy,
  type RetryPolicy,
  type TimeoutPolicy,
} from 'cockatiel';
import { propagationHeaders } from '../http/request-context.ts';
import { resolveProfile, type ClientProfile, type ClientProfileName, type ProfileOverrides, type ServiceName } from './profiles.ts';
import { ServiceUnavailableError, UpstreamRejectedError, type UnavailableReason } from './errors.ts';
import { RateLimiter, RateLimitExceededError } from './rate-limiter.ts';

export type BreakerState = 'closed' | 'open' | 'half-open';
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH';
export type QueryValue = string | number | boolean | null | undefined | ReadonlyArray<string | number | boolean>;

export interface CallOptions {
  /** JSON-serialised; sets content-type application/json. */
  body?: unknown;
  headers?: Record<string, string>;
  query?: Record<string, QueryValue>;
  /** Allows retries of a POST/PATCH the callee treats as idempotent (e.g. keyed by an id). */
  idempotent?: boolean;
  /** The caller gave up (e.g. its own client disconnected): abort without counting a failure. */
  signal?: AbortSignal;
}

export interface ServiceResponse<T> {
  status: number;
  headers: Headers;
  /** `data` of the success envelope; undefined for 204. */
  data: T;
}

export interface ServiceClientOptions {
  serviceName: ServiceName;
  /** e.g. http://member-svc:8081 (no trailing path needed) */
  baseUrl: string;
  profile: ClientProfileName;
  overrides?: ProfileOverrides;
  onStateChange?: (state: BreakerState, previous: BreakerState) => void;
}

export interface ServiceClient {
  readonly serviceName: ServiceName;
  readonly profile: Readonly<ClientProfile>;
  /** Breaker state for metrics and readiness. */
  readonly breakerState: BreakerState;
  get<T>(path: string, options?: CallOptions): Promise<T>;
  post<T>(path: string, options?: CallOptions): Promise<T>;
  put<T>(path: string, options?: CallOptions): Promise<T>;
  delete<T>(path: string, options?: CallOptions): Promise<T>;
  patch<T>(path: string, options?: CallOptions): Promise<T>;
  /** Like get/post/..., also answering the status and the response headers. */
  request<T>(method: HttpMethod, path: string, options?: CallOptions): Promise<ServiceResponse<T>>;
  onStateChange(listener: (state: BreakerState, previous: BreakerState) => void): { dispose(): void };
  /** Stops the rate limiter's timer. */
  close(): Promise<void>;
}

/** A failure the breaker counts; `retryable` ones are retried for idempotent calls. */
class TransportFailure extends Error {
  constructor(
    readonly reason: UnavailableReason,
    readonly retryable: boolean,
    readonly upstreamStatus?: number,
    cause?: unknown,
  ) {
    super(`transport failure: ${reason}${upstreamStatus ? ` (${upstreamStatus})` : ''}`, cause === undefined ? undefined : { cause });
    this.name = 'TransportFailure';
  }
}

/** A 4xx answer travels through the policies as a value: not a failure, never retried. */
interface Rejected {
  kind: 'rejected';
  status: number;
  headers: Headers;
  body: unknown;
}
interface Accepted<T> {
  kind: 'accepted';
  response: ServiceResponse<T>;
}

const IDEMPOTENT_METHODS = new Set<HttpMethod>(['GET', 'PUT', 'DELETE']);

const toBreakerState = (state: CircuitState): BreakerState =>
  state === CircuitState.Closed ? 'closed' : state === CircuitState.HalfOpen ? 'half-open' : 'open';

export function createServiceClient(options: ServiceClientOptions): ServiceClient {
  const { serviceName } = options;
  const profile = resolveProfile(options.profile, options.overrides);
  const baseUrl = new URL(options.baseUrl).toString().replace(/\/+$/, '');

  const timeoutPolicy: TimeoutPolicy = timeout(profile.callTimeoutMs, TimeoutStrategy.Aggressive);
  const retryPolicy: RetryPolicy = retry(
    handleType(TransportFailure, (failure) => failure.retryable),
    { maxAttempts: profile.retry.attempts - 1, backoff: new ConstantBackoff(profile.retry.backoffMs) },
  );
  const breaker: CircuitBreakerPolicy = circuitBreaker(handleType(TransportFailure), {
    halfOpenAfter: profile.breaker.halfOpenAfterMs,
    breaker: new CountBreaker({
      // CountBreaker opens when failures > threshold * calls; the table means ">= X%".
      threshold: Math.max(0, profile.breaker.failureRate - 1e-9),
      size: profile.breaker.window,
      minimumNumberOfCalls: profile.breaker.minimumCalls,
    }),
  });
  const limiter = new RateLimiter(profile.rateLimit);

  let state: BreakerState = 'closed';
  const listeners = new Set<(state: BreakerState, previous: BreakerState) => void>();
  if (options.onStateChange) listeners.add(options.onStateChange);
  breaker.onStateChange((next) => {
    const previous = state;
    state = toBreakerState(next);
    if (state === previous) return;
    for (const listener of listeners) {
      try {
        listener(state, previous);
      } catch {
        // a metrics hook must never break a call
      }
    }
  });

  const unavailable = (reason: UnavailableReason, cause?: unknown, upstreamStatus?: number) =>
    new ServiceUnavailableError(serviceName, reason, { cause, ...(upstreamStatus === undefined ? {} : { upstreamStatus }) });

  async function attempt<T>(method: HttpMethod, url: string, callOptions: CallOptions, signal: AbortSignal): Promise<Accepted<T> | Rejected> {
    const headers: Record<string, string> = { accept: 'application/json', ...propagationHeaders(), ...callOptions.headers };
    let body: string | undefined;
    if (callOptions.body !== undefined) {
      body = JSON.stringify(callOptions.body);
      headers['content-type'] = 'application/json';
    }
    let response: Response;
    let text: string;
    try {
      response = await fetch(url, { method, headers, body, signal, redirect: 'manual' });
      text = await response.text();
    } catch (error) {
      throw new TransportFailure('network', true, undefined, error);
    }
    const status = response.status;
    if (status >= 500) throw new TransportFailure('upstream-5xx', true, status);
    const parsed = parseJson(text);
    if (status >= 400) return { kind: 'rejected', status, headers: response.headers, body: parsed };
    if (status === 204 || (status >= 200 && status < 300 && text === '')) {
      return { kind: 'accepted', response: { status, headers: response.headers, data: undefined as T } };
    }
    if (status >= 200 && status < 300 && isSuccessEnvelope(parsed)) {
      return { kind: 'accepted', response: { status, headers: response.headers, data: parsed.data as T } };
    }
    // a redirect or a 2xx that is not our envelope: the contract is broken, retrying will not help
    throw new TransportFailure('bad-response', false, status);
  }

  async function request<T>(method: HttpMethod, path: string, callOptions: CallOptions = {}): Promise<ServiceResponse<T>> {
    const url = buildUrl(baseUrl, path, callOptions.query);
    const idempotent = callOptions.idempotent ?? IDEMPOTENT_METHODS.has(method);
    const callerSignal = callOptions.signal;

    try {
      await limiter.acquire();
    } catch (error) {
      if (error instanceof RateLimitExceededError) throw unavailable('rate-limited', error);
      throw error;
    }

    const timedAttempt = async (): Promise<Accepted<T> | Rejected> => {
      try {
        return await timeoutPolicy.execute(({ signal }) => attempt<T>(method, url, callOptions, signal), callerSignal);
      } catch (error) {
        if (callerSignal?.aborted) throw callerSignal.reason ?? error;
        if (error instanceof TaskCancelledError) throw new TransportFailure('timeout', true, undefined, error);
        throw error;
      }
    };

    let outcome: Accepted<T> | Rejected;
    try {
      outcome = await breaker.execute(
        () => (idempotent ? retryPolicy.execute(timedAttempt, callerSignal) : timedAttempt()),
        callerSignal,
      );
    } catch (error) {
      if (error instanceof BrokenCircuitError || error instanceof IsolatedCircuitError) throw unavailable('circuit-open', error);
      if (error instanceof TransportFailure) throw unavailable(error.reason, error, error.upstreamStatus);
      throw error;
    }
    if (outcome.kind === 'accepted') return outcome.response;
    const envelope = (typeof outcome.body === 'object' && outcome.body !== null ? outcome.body : {}) as {
      code?: unknown;
      message?: unknown;
      details?: unknown;
    };
    throw new UpstreamRejectedError(
      serviceName,
      outcome.status,
      typeof envelope.code === 'string' ? envelope.code : `UPSTREAM_${outcome.status}`,
      typeof envelope.message === 'string' ? envelope.message : `${serviceName} service answered ${outcome.status}`,
      {
        responseHeaders: outcome.headers,
        ...(Array.isArray(envelope.details) ? { details: envelope.details as Array<{ field: string; message: string }> } : {}),
      },
    );
  }

  const dataOf =
    (method: HttpMethod) =>
    async <T>(path: string, callOptions?: CallOptions): Promise<T> =>
      (await request<T>(method, path, callOptions)).data;

  return {
    serviceName,
    profile,
    get breakerState() {
      return state;
    },
    get: dataOf('GET'),
    post: dataOf('POST'),
    put: dataOf('PUT'),
    delete: dataOf('DELETE'),
    patch: dataOf('PATCH'),
    request,
    onStateChange(listener) {
      listeners.add(listener);
      return { dispose: () => void listeners.delete(listener) };
    },
    close: () => limiter.stop(),
  };
}

function buildUrl(baseUrl: string, path: string, query: CallOptions['query']): string {
  const url = new URL(baseUrl + (path.startsWith('/') ? path : `/${path}`));
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value === undefined || value === null) continue;
    if (Array.isArray(value)) for (const item of value) url.searchParams.append(key, String(item));
    else url.searchParams.append(key, String(value));
  }
  return url.toString();
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isSuccessEnvelope(value: unknown): value is { result: 'SUCCESS'; data: unknown } {
  return typeof value === 'object' && value !== null && (value as { result?: unknown }).result === 'SUCCESS';
}
