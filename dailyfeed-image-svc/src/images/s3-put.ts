/**
 * A single-request S3 PutObject, signed with AWS Signature V4 (signed payload), for the three
 * variant writes of every upload. The `minio` client costs about 2 ms of CPU per upload here
 * (the buffer turned into a stream and back into a copy, MD5 and SHA-256 of every body, the
 * signing key derived again per request); this costs about half as much (bench/uploads.ts).
 * Everything else (bucket, reads, deletes, listing) stays on the `minio` client.
 *
 * Path-style addressing (`/{bucket}/{key}`), which MinIO and every S3-compatible store accept.
 * The secret only ever enters the HMAC: it is never in a header, a log or an error.
 */
import type { ClientRequest, IncomingMessage, RequestOptions } from 'node:http';
import { createHash, createHmac } from 'node:crypto';

export interface S3PutTarget {
  endpoint: URL;
  accessKey: string;
  secretKey: string;
  region: string;
  request(options: RequestOptions, callback: (response: IncomingMessage) => void): ClientRequest;
}

/** An S3 error answer: the HTTP status and the `<Code>` of its XML body. */
export class S3PutError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
  ) {
    super(`object storage answered ${statusCode} ${code}`);
    this.name = 'S3PutError';
  }
}

/** RFC 3986 encoding of each path segment, as SigV4's canonical URI wants it. */
const encodeKey = (key: string) =>
  key
    .split('/')
    .map((segment) => encodeURIComponent(segment).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`))
    .join('/');

const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data).digest();
const sha256Hex = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');
const SIGNED_HEADERS = 'content-length;content-type;host;x-amz-content-sha256;x-amz-date';

export class S3Put {
  /** The signing key depends only on the day: derived once per day, not per request. */
  private signingKey: { day: string; key: Buffer } | null = null;

  constructor(private readonly target: S3PutTarget) {}

  private keyFor(day: string): Buffer {
    if (this.signingKey?.day !== day) {
      const { secretKey, region } = this.target;
      this.signingKey = { day, key: hmac(hmac(hmac(hmac(`AWS4${secretKey}`, day), region), 's3'), 'aws4_request') };
    }
    return this.signingKey.key;
  }

  /** Stores `data` at bucket/key; answers the object's ETag (unquoted). */
  put(bucket: string, key: string, data: Buffer, contentType: string): Promise<string> {
    const { endpoint, accessKey, region } = this.target;
    const amzDate = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, ''); // 20261128T125959Z
    const day = amzDate.slice(0, 8);
    const payloadHash = sha256Hex(data);
    const path = `/${encodeURIComponent(bucket)}/${encodeKey(key)}`;
    const canonicalRequest = [
      'PUT',
      path,
      '',
      `content-length:${data.length}`,
      `content-type:${contentType}`,
      `host:${endpoint.host}`,
      `x-amz-content-sha256:${payloadHash}`,
      `x-amz-date:${amzDate}`,
      '',
      SIGNED_HEADERS,
      payloadHash,
    ].join('\n');
    const scope = `${day}/${region}/s3/aws4_request`;
    const signature = createHmac('sha256', this.keyFor(day))
      .update(`AWS4-HMAC-SHA256\n${amzDate}\n${scope}\n${sha256Hex(canonicalRequest)}`)
      .digest('hex');
    return new Promise<string>((resolve, reject) => {
      const request = this.target.request(
        {
          protocol: endpoint.protocol,
          hostname: endpoint.hostname,
          port: endpoint.port,
          path,
          method: 'PUT',
          headers: {
            host: endpoint.host,
            'content-length': data.length,
            'content-type': contentType,
            'x-amz-content-sha256': payloadHash,
            'x-amz-date': amzDate,
            authorization: `AWS4-HMAC-SHA256 Credential=${accessKey}/${scope}, SignedHeaders=${SIGNED_HEADERS}, Signature=${signature}`,
          },
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('error', reject);
          response.on('end', () => {
            if (response.statusCode === 200) return resolve(String(response.headers.etag ?? '').replace(/"/g, ''));
            const code = /<Code>([^<]*)<\/Code>/.exec(Buffer.concat(chunks).toString('utf8'))?.[1] ?? 'UnknownError';
            reject(new S3PutError(response.statusCode ?? 0, code));
          });
        },
      );
      request.on('error', reject);
      request.end(data);
    });
  }
}
