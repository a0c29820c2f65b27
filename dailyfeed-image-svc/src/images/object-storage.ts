/**
 * Object storage through the S3 API (the `minio` client speaks plain S3), so another
 * S3-compatible store can replace MinIO without code changes. Keys: images/{id}/{variant}.webp.
 */
import { Client } from 'minio';
import type { Readable } from 'node:stream';

export interface StorageConfig {
  endpoint: string;
  accessKey: string;
  secretKey: string;
  bucket: string;
  region: string;
}

export class ObjectStorage {
  private readonly client: Client;
  readonly bucket: string;
  private readonly region: string;

  constructor(config: StorageConfig) {
    const url = new URL(config.endpoint);
    this.client = new Client({
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
    const info = await this.client.putObject(this.bucket, key, data, data.length, { 'Content-Type': contentType });
    return info.etag;
  }

  get(key: string): Promise<Readable> {
    return this.client.getObject(this.bucket, key);
  }

  async remove(keys: string[]): Promise<void> {
    if (keys.length > 0) await this.client.removeObjects(this.bucket, keys);
  }

  async list(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    for await (const item of this.client.listObjectsV2(this.bucket, prefix, true)) {
      if ((item as { name?: string }).name) keys.push((item as { name: string }).name);
    }
    return keys;
  }
}
