/**
 * The request id and W3C trace context of the request being served, kept in
 * AsyncLocalStorage so the outbound HTTP client and the Kafka publisher can
 * propagate them without the application passing them along.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes, randomUUID } from 'node:crypto';

export interface RequestContext {
  requestId: string;
  traceparent: string;
}

const storage = new AsyncLocalStorage<RequestContext>();

export const currentRequestContext = (): RequestContext | undefined => storage.getStore();
export const runWithRequestContext = <T>(context: RequestContext, fn: () => T): T => storage.run(context, fn);
/** For code paths that start outside a request (jobs, consumers): a fresh context. */
export const enterRequestContext = (context: RequestContext): void => storage.enterWith(context);

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

// Random ids come from a pooled buffer (as randomUUID does): one CSPRNG call per 512 span
// ids instead of one or two per request.
let randomPool = Buffer.alloc(0);
let randomOffset = 0;
function randomHex(bytes: number): string {
  if (randomOffset + bytes > randomPool.length) {
    randomPool = randomBytes(4096);
    randomOffset = 0;
  }
  const hex = randomPool.toString('hex', randomOffset, randomOffset + bytes);
  randomOffset += bytes;
  return hex;
}

/** Continues the caller's trace with a new span id, or starts a new trace. */
export function childTraceparent(incoming: string | undefined): string {
  const match = incoming ? TRACEPARENT.exec(incoming) : null;
  const traceId = match?.[1] ?? randomHex(16);
  const flags = match?.[3] ?? '01';
  return `00-${traceId}-${randomHex(8)}-${flags}`;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
export const requestIdFrom = (incoming: string | undefined): string =>
  incoming && REQUEST_ID.test(incoming) ? incoming : randomUUID();

/** Headers that carry the context to another service. */
export function propagationHeaders(): Record<string, string> {
  const context = currentRequestContext();
  if (!context) return {};
  return { 'x-request-id': context.requestId, traceparent: childTraceparent(context.traceparent) };
}
