/**
 * Typed errors of the event layer. They extend AppError (which extends Error and
 * keeps `cause`), so an application can map them like any other coded error.
 */
import { AppError } from '../http/errors.ts';

/** A record value that is not a valid event (bad JSON, schema mismatch, unknown version). */
export class EventDecodeError extends AppError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(422, 'EVENT_DECODE_FAILED', message, options);
    this.name = 'EventDecodeError';
  }
}

/** An event that cannot be built (a missing or malformed id): a programming error of the caller. */
export class InvalidEventError extends AppError {
  constructor(message: string) {
    super(500, 'EVENT_INVALID', message);
    this.name = 'InvalidEventError';
  }
}

/** A publish that did not reach the broker (unreachable, timeout, missing topic). The caller's outbox relay retries. */
export class EventPublishError extends AppError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(503, 'EVENT_PUBLISH_FAILED', message, options);
    this.name = 'EventPublishError';
  }
}
