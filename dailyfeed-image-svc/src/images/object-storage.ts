/**
 * Object storage through the S3 API (the `minio` client speaks plain S3), so another
 * S3-compatible store can replace MinIO without code changes. Keys: images/{id}/{variant}.webp.
 */
import http, { type ClientRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import https from 'node:https';
import { Client } from 'minio';
import type { Readable } from 'node:stream';
import { ObjectMissingError, storageUnavailable } from './errors.ts';

export interface StorageConfig {
  endpoint: string;
  accessKey: string;
  secretKey: string;
  bucket: string;
  region: string;
  /** A request idle this long (no bytes either way) is aborted: a hung store never hangs an upload. */
  idleTimeoutMs?: number;
}

const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EPIPE', 'EAI_AGAIN', 'InternalError', 'SlowDown', 'ServiceUnavailable', 'XMinioServerNotInitialized']);

/** Storage failures a client cannot cause become 503; anything else stays as it is (a 500 of ours). */
function storageError(error: unknown): unknown {
  const { code, message } = error as { code?: string; message?: string };
  if ((code && UNAVAILABLE_CODES.has(code)) || /timed out|socket hang up|Retryable HTTP status/i.test(message ?? '')) return storageUnavailable(error);
  return error;
}

/**
 * The `minio` client has no request timeout of its own: its transport is node:http with an idle
 * timeout that destroys the request, over a keep-alive agent with a bounded number of sockets.
 */
function transportWithTimeout(secure: boolean, idleTimeoutMs: number) {
  const base = secure ? https : http;
  const agent = new base.Agent({ keepAlive: true, maxSockets: 64 });
  return {
    agent,
    transport: {
      request(options: RequestOptions, callback: (response: IncomingMessage) => void): ClientRequest {
        const request = base.request({ ...options, agent, timeout: idleTimeoutMs }, callback);
        request.on('timeout', () => request.destroy(Object.assign(new Error(`object storage request timed out after ${idleTimeoutMs} ms`), { code: 'ETIMEDOUT' })));
        return request;
      },
    },
  };
}

export class ObjectStorage {
  private readonly client: Client;
  readonly bucket: string;
  private readonly region: string;
  private readonly agent: http.Agent;

  constructor(config: StorageConfig) {
    const url = new URL(config.endpoint);
    const { agent, transport } = transportWithTimeout(url.protocol === 'https:', config.idleTimeoutMs ?? 10_000);
    this.agent = agent;
    this.client = new Client({
      transport: transport as never,
      transportAgent: agent,
      endPoint: url.hostname,
      port: Number(url.port || (url.protocol === 'https:' ? 443 : 80)),
      useSSL: url.protocol === 'https:',
      accessKey: config.accessKey,
      secretKey: config.secretKey,
      region: config.region,
    });
    this.bucket = config.bucket;
    this.region = config.region;
  }

  static keyOf(imageId: string, variant: string): string {
    return `images/${imageId}/${variant}.webp`;
  }

  /** Idempotent: a replica that loses the creation race finds the bucket there. */
  async ensureBucket(): Promise<void> {
    if (await this.client.bucketExists(this.bucket)) return;
    try {
      await this.client.makeBucket(this.bucket, this.region);
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code !== 'BucketAlreadyOwnedByYou' && code !== 'BucketAlreadyExists') throw error;
    }
  }

  async ping(): Promise<void> {
    if (!(await this.client.bucketExists(this.bucket))) throw new Error(`bucket ${this.bucket} is missing`);
  }

  async put(key: string, data: Buffer, contentType: string): Promise<string> {
    try {
      const info = await this.client.putObject(this.bucket, key, data, data.length, { 'Content-Type': contentType });
      return info.etag;
    } catch (error) {
      throw storageError(error);
    }
  }

  async get(key: string): Promise<Readable> {
    try {
      return await this.client.getObject(this.bucket, key);
    } catch (error) {
      if ((error as { code?: string }).code === 'NoSuchKey') throw new ObjectMissingError(key);
      throw storageError(error);
    }
  }

  /** Removing a key that is not there succeeds (S3 semantics), so a retried delete is safe. */
  async remove(keys: string[]): Promise<void> {
    if (keys.length === 0) return;
    try {
      // removeObjects answers per-key failures instead of throwing: treat any as a failure, so
      // the row is not marked deleted while its objects remain.
      // (the parser answers the S3 <Error> elements, typed as {Error: {...}}: accept both shapes).
      const results = (await this.client.removeObjects(this.bucket, keys)) ?? [];
      const failed = results
        .map((result) => ((result as { Error?: unknown } | null)?.Error ?? result) as { Code?: string; Message?: string } | null | undefined)
        .filter((result) => result?.Code && result.Code !== 'NoSuchKey');
      if (failed.length > 0) throw Object.assign(new Error(`removing ${failed.length} objects failed: ${failed[0]!.Code} ${failed[0]!.Message ?? ''}`), { code: failed[0]!.Code });
    } catch (error) {
      throw storageError(error);
    }
  }

  close(): void {
    this.agent.destroy();
  }

  async list(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    for await (const item of this.client.listObjectsV2(this.bucket, prefix, true)) {
      if ((item as { name?: string }).name) keys.push((item as { name: string }).name);
    }
    return keys;
  }
}
