// Everything a client can send wrong is a 4xx in the envelope; storage faults are 503, never a hang.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import net from 'node:net';
import pg from 'pg';
import { missingServers } from '../dailyfeed-shared/testing/servers.ts';
import { AppError } from '../dailyfeed-shared/src/http/errors.ts';
import { ObjectStorage } from '../src/images/object-storage.ts';
import { matchesIfNoneMatch } from '../src/routes/images.ts';
import { fixtures, multipart, newMember, startTestApp, stopTestApp } from './helpers.ts';

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

  it('a store that accepts and never answers is 503 after the idle timeout, not a hung request', async () => {
    const sockets: net.Socket[] = [];
    const server = net.createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const storage = storageAt(`http://127.0.0.1:${(server.address() as net.AddressInfo).port}`);
    const started = performance.now();
    const error = await storage.get('k').catch((e: unknown) => e);
    expect((error as AppError).status).toBe(503);
    expect(performance.now() - started).toBeLessThan(5_000);
    storage.close();
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
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
