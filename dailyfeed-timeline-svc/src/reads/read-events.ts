/**
 * POST_READ / COMMENT_READ publishing. A read may lose its READ event when Kafka is down,
 * but it never fails or waits for it: the publish is not awaited, and at most
 * MAX_IN_FLIGHT publishes wait for the broker at once (beyond that, READ events are dropped
 * and counted), so a dead broker cannot pile up memory either.
 */
import type { FastifyBaseLogger } from 'fastify';
import { Counter, type Registry } from 'prom-client';
import { createActivityEvent, type EventPublisher } from '../../dailyfeed-shared/src/events/index.ts';

const MAX_IN_FLIGHT = 1_000;

export class ReadEvents {
  readonly #publisher: EventPublisher | null;
  readonly #timeZone: string;
  readonly #log: FastifyBaseLogger;
  readonly #dropped: Counter<'type'>;
  #inFlight = 0;
  #lastWarn = 0;

  constructor(options: { publisher: EventPublisher | null; timeZone: string; log: FastifyBaseLogger; registry: Registry }) {
    this.#publisher = options.publisher;
    this.#timeZone = options.timeZone;
    this.#log = options.log;
    this.#dropped = new Counter({ name: 'timeline_read_events_dropped_total', help: 'READ events not published (broker down or too many waiting)', labelNames: ['type'], registers: [options.registry] });
  }

  postRead(memberId: string, postId: string): void {
    this.#send('POST_READ', { memberId, postId });
  }

  commentRead(memberId: string, commentId: string, postId: string): void {
    this.#send('COMMENT_READ', { memberId, commentId, postId });
  }

  #send(type: 'POST_READ' | 'COMMENT_READ', ids: { memberId: string; postId?: string; commentId?: string }): void {
    if (!this.#publisher) return;
    if (this.#inFlight >= MAX_IN_FLIGHT) {
      this.#dropped.inc({ type });
      return;
    }
    let event;
    try {
      event = createActivityEvent({ type, ...ids, timeZone: this.#timeZone });
    } catch (error) {
      this.#log.warn({ err: error }, 'READ event not built');
      return;
    }
    this.#inFlight += 1;
    this.#publisher
      .publish([event])
      .catch((error: unknown) => {
        this.#dropped.inc({ type });
        const now = Date.now();
        if (now - this.#lastWarn > 60_000) {
          this.#lastWarn = now;
          this.#log.warn({ err: error }, 'READ event lost (the read itself succeeded)');
        }
      })
      .finally(() => {
        this.#inFlight -= 1;
      });
  }
}
