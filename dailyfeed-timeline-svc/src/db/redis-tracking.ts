/**
 * Redis server-assisted client-side caching (CLIENT TRACKING, RESP2 redirect mode): Redis
 * remembers the keys read on `client` and, when one of them changes (or the database is
 * flushed), announces it once on a second connection subscribed to `__redis__:invalidate`.
 *
 * Writes made on `client` itself are not announced (NOLOOP).
 *
 * Knows nothing of what the caller caches: it reports changed keys (null = all of them) and an
 * `epoch` that moves whenever tracking may have lapsed (either connection lost, tracking being
 * set up again); `epoch` is null while reads on `client` are not tracked. A result read in one
 * epoch must not be kept once the epoch has moved: announcements of that time may be lost.
 */
import { Redis } from 'ioredis';

const CHANNEL = '__redis__:invalidate';

export class RedisKeyTracking {
  /** The connection whose reads are tracked. */
  readonly client: Redis;
  readonly #announcements: Redis;
  readonly #onChange: (key: string | null) => void;
  readonly #onError: (error: unknown) => void;
  #epoch = 0;
  #tracking = false;
  /** The subscribed connection's id while it listens (the redirect target). */
  #listenerId: string | null = null;
  #closed = false;

  constructor(options: { url: string; onChange: (key: string | null) => void; onError?: (error: unknown) => void }) {
    const connection = { lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: false };
    this.client = new Redis(options.url, { ...connection, connectionName: 'tracked-reads' });
    this.#announcements = new Redis(options.url, { ...connection, autoResubscribe: false, connectionName: 'tracking-announcements' });
    this.#onChange = options.onChange;
    this.#onError = options.onError ?? (() => undefined);
    this.#announcements.on('message', (channel: string, key: string | string[] | null) => {
      if (channel !== CHANNEL) return;
      // A flush announces no key (ioredis hands it over as an empty string).
      if (key === null || key === '') this.#onChange(null);
      else for (const one of Array.isArray(key) ? key : [key]) this.#onChange(one);
    });
    for (const connection of [this.client, this.#announcements]) {
      connection.on('close', () => this.#lapse());
      connection.on('error', (error: unknown) => this.#onError(error));
    }
    this.#announcements.on('ready', () => void this.#listen());
    this.client.on('ready', () => void this.#track());
  }

  /** The current epoch, or null while reads on `client` are not tracked. */
  get epoch(): number | null {
    return this.#tracking ? this.#epoch : null;
  }

  /** The client id of the connection that hears the announcements (null while it does not). */
  get listenerId(): string | null {
    return this.#listenerId;
  }

  async start(): Promise<void> {
    await Promise.all([this.#announcements.connect(), this.client.connect()]).catch((error: unknown) => this.#onError(error));
  }

  close(): void {
    this.#closed = true;
    this.#lapse();
    this.client.disconnect();
    this.#announcements.disconnect();
  }

  /** Tracking may have lapsed: everything read so far may have changed unannounced. */
  #lapse(): void {
    const wasTracking = this.#tracking;
    this.#tracking = false;
    this.#epoch += 1;
    if (this.#announcements.status !== 'ready') this.#listenerId = null;
    if (wasTracking || this.#closed) this.#onChange(null);
  }

  async #listen(): Promise<void> {
    try {
      const id = String(await this.#announcements.call('CLIENT', 'ID'));
      await this.#announcements.subscribe(CHANNEL);
      this.#listenerId = id;
      await this.#track();
    } catch (error) {
      this.#onError(error);
    }
  }

  async #track(): Promise<void> {
    const listenerId = this.#listenerId;
    if (this.#closed || listenerId === null || this.client.status !== 'ready') return;
    const epoch = this.#epoch;
    try {
      // NOLOOP: what the tracked connection writes itself (a read's TTL touch) is no change.
      await this.client.call('CLIENT', 'TRACKING', 'on', 'REDIRECT', listenerId, 'NOLOOP');
    } catch (error) {
      this.#onError(error);
      return;
    }
    // A connection lost meanwhile moved the epoch; its own 'ready' tracks again.
    if (epoch !== this.#epoch || listenerId !== this.#listenerId) return;
    this.#epoch += 1;
    this.#tracking = true;
  }
}
