// Everything a client can send wrong is a 4xx in the envelope; storage faults are 503, never a hang.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import net from 'node:net';
import http from 'node:http';
import { createHash } from 'node:crypto';
import pg from 'pg';
import { missingServers } from '../dailyfeed-shared/testing/servers.ts';
import { AppError } from '../dailyfeed-shared/src/http/errors.ts';
import { ObjectStorage } from '../src/images/object-storage.ts';
import { matchesIfNoneMatch } from '../src/routes/images.ts';
import { fixtures, multipart, newMember, s3Client, startTestApp, stopTestApp } from './helpers.ts';

const missing = await missingServers(['postgres', 'redis', 'minio']);

describe('If-None-Match', () => {
  it('matches *, lists and weak tags', () => {
    expect(matchesIfNoneMatch('"abc"', '"abc"')).toBe(true);
    expect(matchesIfNoneMatch('W/"abc"', '"abc"')).toBe(true);
    expect(matchesIfNoneMatch('"x", "abc"', '"abc"')).toBe(true);
    expect(matchesIfNoneMatch('*', '"abc"')).toBe(true);
    expect(matchesIfNoneMatch('"abd"', '"abc"')).toBe(false);
    expect(matchesIfNoneMatch(undefined, '"abc"')).toBe(false);
  });
});

describe('object storage faults', () => {
  const storageAt = (endpoint: string) =>
    new ObjectStorage({ endpoint, accessKey: 'x', secretKey: 'y', bucket: 'nowhere', region: 'us-east-1', idleTimeoutMs: 300 });

  it('an unreachable store is 503 IMAGE_STORAGE_UNAVAILABLE', async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const storage = storageAt(`http://127.0.0.1:${port}`);
    const error = await storage.put('k', Buffer.from('x'), 'image/webp').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).status).toBe(503);
    expect((error as AppError).code).toBe('IMAGE_STORAGE_UNAVAILABLE');
    storage.close();
  });

  it('a store that accepts and never answers is 503 after the idle timeout, not a hung request (reads and writes)', async () => {
    const sockets: net.Socket[] = [];
    const server = net.createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const storage = storageAt(`http://127.0.0.1:${(server.address() as net.AddressInfo).port}`);
    for (const call of [() => storage.get('k'), () => storage.put('k', Buffer.alloc(10), 'image/webp')]) {
      const started = performance.now();
      const error = await call().catch((e: unknown) => e);
      expect((error as AppError).status).toBe(503);
      expect(performance.now() - started).toBeLessThan(5_000);
    }
    storage.close();
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('a PUT answered 5xx is 503; another refusal is not (our fault, a 500)', async () => {
    let status = 503;
    const answering = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(status, { 'content-type': 'application/xml' }).end(`<Error><Code>${status === 503 ? 'SlowDown' : 'AccessDenied'}</Code></Error>`));
    });
    await new Promise<void>((resolve) => answering.listen(0, '127.0.0.1', resolve));
    const store = storageAt(`http://127.0.0.1:${(answering.address() as net.AddressInfo).port}`);
    const unavailable = await store.put('k', Buffer.alloc(10), 'image/webp').catch((e: unknown) => e);
    expect((unavailable as AppError).code).toBe('IMAGE_STORAGE_UNAVAILABLE');
    status = 403;
    const refused = await store.put('k', Buffer.alloc(10), 'image/webp').catch((e: unknown) => e);
    expect(refused).not.toBeInstanceOf(AppError);
    expect((refused as { code?: string }).code).toBe('AccessDenied');
    store.close();
    await new Promise<void>((resolve) => answering.close(() => resolve()));
  });
});

describe.skipIf(missing)('PUTs against the real store', () => {
  it('stores the bytes under the key with its type and ETag; a wrong secret is refused, and never shown', async () => {
    const bucket = `test-put-${Date.now()}`;
    const config = { endpoint: process.env.S3_ENDPOINT!, accessKey: process.env.S3_ACCESS_KEY!, secretKey: process.env.S3_SECRET_KEY!, bucket, region: 'us-east-1' };
    const storage = new ObjectStorage(config);
    await storage.ensureBucket();
    try {
      const data = Buffer.from('webp bytes, or close enough');
      const key = "images/42/odd name+(1)'s.webp";
      const etag = await storage.put(key, data, 'image/webp');
      expect(etag).toBe(createHash('md5').update(data).digest('hex'));
      const stat = await s3Client().statObject(bucket, key);
      expect(stat.size).toBe(data.length);
      expect(stat.metaData['content-type']).toBe('image/webp');
      const secret = 'not-the-secret-at-all';
      const wrong = new ObjectStorage({ ...config, secretKey: secret });
      const error = (await wrong.put('images/43/x.webp', data, 'image/webp').catch((e: unknown) => e)) as Error;
      expect((error as { code?: string }).code).toBe('SignatureDoesNotMatch');
      expect(JSON.stringify({ ...error, message: error.message, stack: error.stack })).not.toContain(secret);
      wrong.close();
      await storage.remove(await storage.list(''));
    } finally {
      storage.close();
      await s3Client().removeBucket(bucket);
    }
  });
});

describe.skipIf(missing)('upload robustness', () => {
  let ctx: Awaited<ReturnType<typeof startTestApp>>;
  let owner: ReturnType<typeof newMember>;
  let address: string;
  beforeAll(async () => {
    ctx = await startTestApp();
    owner = newMember(ctx.member);
    address = await ctx.app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(() => stopTestApp(ctx));

  const raw = (payload: Buffer | string, contentType: string) =>
    ctx.app.inject({ method: 'POST', url: '/api/images/upload', headers: { 'content-type': contentType, authorization: `Bearer ${owner.token}` }, payload });
  const expectEnvelope4xx = (res: { statusCode: number; json(): { result: string; code: string; status: number } }, status?: number) => {
    if (status) expect(res.statusCode).toBe(status);
    expect(res.statusCode).toBeGreaterThanOrEqual(400);
    expect(res.statusCode).toBeLessThan(500);
    expect(res.json()).toMatchObject({ result: 'FAIL', status: res.statusCode });
  };

  it('malformed multipart bodies are 4xx in the envelope', async () => {
    const png = await fixtures.png();
    const good = multipart({ filename: 'a.png', contentType: 'image/png', data: png });
    const boundary = good.headers['content-type'].split('boundary=')[1]!;
    // no boundary parameter
    expectEnvelope4xx(await raw(good.payload, 'multipart/form-data'));
    // a boundary that never appears in the body
    expectEnvelope4xx(await raw('just some bytes, no parts at all', 'multipart/form-data; boundary=zzz'), 400);
    // cut off in the middle of the file (no closing boundary)
    const cut = await raw(good.payload.subarray(0, Math.floor(good.payload.length / 2)), good.headers['content-type']);
    expectEnvelope4xx(cut, 400);
    // a part without a Content-Disposition header
    expectEnvelope4xx(await raw(`--${boundary}\r\nX-Nothing: 1\r\n\r\nabc\r\n--${boundary}--\r\n`, good.headers['content-type']), 400);
    // empty body
    expectEnvelope4xx(await raw('', good.headers['content-type']), 400);
    // a text/plain body
    expectEnvelope4xx(await raw('hello', 'text/plain'), 415);
  });

  it('two files, or the image after a file of another field, are 400', async () => {
    const png = await fixtures.png();
    const one = multipart({ filename: 'a.png', contentType: 'image/png', data: png });
    const boundary = one.headers['content-type'].split('boundary=')[1]!;
    const filePart = (field: string) => Buffer.concat([Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="a.png"\r\nContent-Type: image/png\r\n\r\n`), png, Buffer.from('\r\n')]);
    const twoImages = Buffer.concat([filePart('image'), filePart('image'), Buffer.from(`--${boundary}--\r\n`)]);
    expectEnvelope4xx(await raw(twoImages, one.headers['content-type']), 400);
    const otherFirst = Buffer.concat([filePart('avatar'), filePart('image'), Buffer.from(`--${boundary}--\r\n`)]);
    const res = await raw(otherFirst, one.headers['content-type']);
    expectEnvelope4xx(res, 400);
    expect(res.json().code).toBe('IMAGE_FILE_REQUIRED');
  });

  it('over real HTTP, 11 MB is answered 413 in the envelope (the body is cut off at 10 MB, not read whole)', async () => {
    const big = Buffer.concat([await fixtures.jpeg(), Buffer.alloc(11 * 1024 * 1024, 7)]);
    const body = multipart({ filename: 'big.jpg', contentType: 'image/jpeg', data: big });
    const res = await fetch(`${address}/api/images/upload`, { method: 'POST', headers: { ...body.headers, authorization: `Bearer ${owner.token}` }, body: body.payload });
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ status: 413, code: 'IMAGE_TOO_LARGE' });
  });

  it('over real HTTP, an unauthenticated upload is 401 before the body is read', async () => {
    const body = multipart({ filename: 'big.jpg', contentType: 'image/jpeg', data: Buffer.alloc(5 * 1024 * 1024, 7) });
    const res = await fetch(`${address}/api/images/upload`, { method: 'POST', headers: body.headers, body: body.payload });
    expect(res.status).toBe(401);
    expect(res.headers.get('x-relogin-required')).toBe('true');
  });

  it('a variant whose object vanished reads 404 without long-lived caching', async () => {
    const body = multipart({ filename: 'a.png', contentType: 'image/png', data: await fixtures.png() });
    const up = await ctx.app.inject({ method: 'POST', url: '/api/images/upload', headers: { ...body.headers, authorization: `Bearer ${owner.token}` }, payload: body.payload });
    const id = up.json().data.id as string;
    await ctx.app.storage.remove([ObjectStorage.keyOf(id, 'medium')]);
    const res = await ctx.app.inject({ method: 'GET', url: `/api/images/view/${id}?variant=medium` });
    expect(res.statusCode).toBe(404);
    expect(res.json().code).toBe('IMAGE_NOT_FOUND');
    expect(res.headers['cache-control'] ?? '').not.toContain('immutable');
    const head = await ctx.app.inject({ method: 'HEAD', url: `/api/images/view/${id}?variant=thumbnail` });
    expect(head.statusCode).toBe(200);
    expect(head.headers['content-type']).toBe('image/webp');
  });

  it('counts uploads and pipelines in /metrics', async () => {
    const res = await ctx.app.inject({ method: 'GET', url: '/metrics' });
    expect(res.body).toMatch(/image_uploads_total\{status="201"/);
    expect(res.body).toContain('image_pipeline_seconds_bucket');
    expect(res.body).toMatch(/image_pipelines\{state="active"/);
  });
});

describe.skipIf(missing)('rows', () => {
  it('the image table carries owner, purpose, dimensions, type, keys with etags, attachment and times', async () => {
    const db = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await db.connect();
    const { rows } = await db.query(`SELECT column_name FROM information_schema.columns WHERE table_schema = 'image' AND table_name = 'images'`);
    await db.end();
    expect(rows.map((row) => row.column_name).sort()).toEqual(
      ['attached_at', 'attached_to', 'created_at', 'deleted_at', 'height', 'id', 'owner_id', 'purpose', 'size_bytes', 'source_type', 'variants', 'width'].sort(),
    );
  });
});
