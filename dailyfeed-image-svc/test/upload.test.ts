import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import sharp from 'sharp';
import { missingServers } from '../dailyfeed-shared/testing/servers.ts';
import { declaredHugePng, fixtures, jpegWithGps, multipart, newMember, picture, startTestApp, stopTestApp } from './helpers.ts';

const missing = await missingServers(['postgres', 'redis', 'minio']);

describe.skipIf(missing)('image uploads', () => {
  let ctx: Awaited<ReturnType<typeof startTestApp>>;
  let owner: ReturnType<typeof newMember>;
  beforeAll(async () => {
    ctx = await startTestApp();
    owner = newMember(ctx.member);
  });
  afterAll(() => stopTestApp(ctx));

  const upload = (body: ReturnType<typeof multipart>, token = owner.token) =>
    ctx.app.inject({ method: 'POST', url: '/api/images/upload', headers: { ...body.headers, authorization: `Bearer ${token}` }, payload: body.payload });
  const view = (id: string, variant = 'medium', headers: Record<string, string> = {}) =>
    ctx.app.inject({ method: 'GET', url: `/api/images/view/${id}?variant=${variant}`, headers });

  for (const [format, make] of Object.entries(fixtures)) {
    it(`accepts ${format} and serves three WebP variants`, async () => {
      const data = await make();
      const res = await upload(multipart({ filename: `photo.${format}`, contentType: `image/${format}`, data }));
      expect(res.statusCode, res.body).toBe(201);
      const image = res.json().data;
      expect(image.contentType).toBe(`image/${format}`);
      const meta = await sharp(data).metadata();
      expect([image.width, image.height]).toEqual([meta.width, meta.pageHeight ?? meta.height]);
      // medium fits inside 350 x 350 and never enlarges
      const scale = Math.min(1, 350 / Math.max(image.width, image.height));
      const expected = { thumbnail: [150, 150], medium: [Math.round(image.width * scale), Math.round(image.height * scale)] };
      for (const [variant, [w, h]] of Object.entries(expected)) {
        const got = await view(image.id, variant);
        expect(got.statusCode).toBe(200);
        expect(got.headers['content-type']).toBe('image/webp');
        const out = await sharp(got.rawPayload).metadata();
        expect(out.format).toBe('webp');
        expect(out.width).toBe(w);
        expect(Math.abs((out.height ?? 0) - h!)).toBeLessThanOrEqual(1);
      }
    });
  }

  it('decides the type by content: a PNG named .jpg is a PNG, a text file named .png is refused', async () => {
    const png = await fixtures.png();
    const renamed = await upload(multipart({ filename: 'photo.jpg', contentType: 'image/jpeg', data: png }));
    expect(renamed.statusCode).toBe(201);
    expect(renamed.json().data.contentType).toBe('image/png');
    const text = await upload(multipart({ filename: 'notes.png', contentType: 'image/png', data: Buffer.from('hello, I am not an image at all\n'.repeat(10)) }));
    expect(text.statusCode).toBe(415);
    expect(text.json().code).toBe('UNSUPPORTED_IMAGE_TYPE');
    const svg = await upload(multipart({ filename: 'x.png', contentType: 'image/png', data: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"></svg>') }));
    expect(svg.statusCode).toBe(415);
  });

  it('refuses a truncated JPEG with 422', async () => {
    const jpeg = await fixtures.jpeg();
    const res = await upload(multipart({ filename: 'cut.jpg', contentType: 'image/jpeg', data: jpeg.subarray(0, Math.floor(jpeg.length / 2)) }));
    expect(res.statusCode).toBe(422);
    expect(res.json().code).toBe('IMAGE_DECODE_FAILED');
  });

  it('refuses a small file declaring 50,000 x 50,000 pixels before decoding it', async () => {
    const bomb = declaredHugePng();
    expect(bomb.length).toBeLessThan(2048);
    const rssBefore = process.memoryUsage().rss;
    const started = performance.now();
    const res = await upload(multipart({ filename: 'bomb.png', contentType: 'image/png', data: bomb }));
    const ms = performance.now() - started;
    const grewMb = (process.memoryUsage().rss - rssBefore) / 1024 / 1024;
    console.log(`decompression bomb refused in ${ms.toFixed(1)} ms, resident memory grew ${grewMb.toFixed(1)} MB`);
    expect(res.statusCode).toBe(422);
    expect(res.json().code).toBe('IMAGE_DIMENSIONS_TOO_LARGE');
    expect(grewMb).toBeLessThan(200); // decoding it would need 2.5 GB
  });

  it('refuses 11 MB with 413 IMAGE_TOO_LARGE', async () => {
    const big = Buffer.concat([await fixtures.jpeg(), Buffer.alloc(11 * 1024 * 1024, 7)]);
    const res = await upload(multipart({ filename: 'big.jpg', contentType: 'image/jpeg', data: big }));
    expect(res.statusCode).toBe(413);
    expect(res.json().code).toBe('IMAGE_TOO_LARGE');
  });

  it('strips EXIF and GPS from every stored variant', async () => {
    const data = await jpegWithGps();
    const before = await sharp(data).metadata();
    expect(before.exif?.includes(Buffer.from('DailyfeedCam'))).toBe(true);
    expect(before.exif?.includes(Buffer.from('N\0'))).toBe(true);
    const res = await upload(multipart({ filename: 'gps.jpg', contentType: 'image/jpeg', data }));
    expect(res.statusCode).toBe(201);
    for (const variant of ['thumbnail', 'medium', 'large']) {
      const got = await view(res.json().data.id, variant);
      const meta = await sharp(got.rawPayload).metadata();
      expect(meta.exif, variant).toBeUndefined();
      expect(got.rawPayload.includes(Buffer.from('DailyfeedCam'))).toBe(false);
    }
  });

  it('orients by EXIF: a portrait photo stored rotated comes out portrait', async () => {
    const landscape = await picture(400, 200).jpeg().withMetadata({ orientation: 6 }).toBuffer();
    const res = await upload(multipart({ filename: 'rotated.jpg', contentType: 'image/jpeg', data: landscape }));
    expect(res.json().data).toMatchObject({ width: 200, height: 400 });
    const large = await sharp((await view(res.json().data.id, 'large')).rawPayload).metadata();
    expect((large.height ?? 0) > (large.width ?? 0)).toBe(true);
  });

  it('serves with ETag, long-lived Cache-Control and 304 on If-None-Match; 404 unknown, 400 bad id', async () => {
    const res = await upload(multipart({ filename: 'a.png', contentType: 'image/png', data: await fixtures.png() }));
    const first = await view(res.json().data.id, 'thumbnail');
    expect(first.headers.etag).toMatch(/^".+"$/);
    expect(first.headers['cache-control']).toContain('max-age=31536000');
    const again = await view(res.json().data.id, 'thumbnail', { 'if-none-match': String(first.headers.etag) });
    expect(again.statusCode).toBe(304);
    expect(again.rawPayload.length).toBe(0);
    expect((await view('999999999999', 'thumbnail')).statusCode).toBe(404);
    expect((await view('abc', 'thumbnail')).statusCode).toBe(400);
    expect((await view(res.json().data.id, 'huge')).statusCode).toBe(400);
  });

  it('deletes every object of an image for its owner only', async () => {
    const res = await upload(multipart({ filename: 'a.png', contentType: 'image/png', data: await fixtures.png() }));
    const id = res.json().data.id;
    expect(await ctx.app.storage.list(`images/${id}/`)).toHaveLength(3);
    const stranger = newMember(ctx.member);
    const forbidden = await ctx.app.inject({ method: 'DELETE', url: `/api/images/${id}`, headers: { authorization: `Bearer ${stranger.token}` } });
    expect(forbidden.statusCode).toBe(403);
    expect(forbidden.json().code).toBe('IMAGE_FORBIDDEN');
    const deleted = await ctx.app.inject({ method: 'DELETE', url: `/api/images/${id}`, headers: { authorization: `Bearer ${owner.token}` } });
    expect(deleted.statusCode).toBe(204);
    expect(await ctx.app.storage.list(`images/${id}/`)).toEqual([]);
    expect((await view(id)).statusCode).toBe(404);
  });

  it('answers bad requests with 4xx in the envelope', async () => {
    const png = await fixtures.png();
    const noAuth = await upload(multipart({ filename: 'a.png', contentType: 'image/png', data: png }), 'not-a-token');
    expect(noAuth.statusCode).toBe(401);
    const json = await ctx.app.inject({ method: 'POST', url: '/api/images/upload', headers: { authorization: `Bearer ${owner.token}` }, payload: { image: 'x' } });
    expect(json.statusCode).toBe(415);
    const missingFile = await upload(multipart(null, { purpose: 'post' }));
    expect(missingFile.statusCode).toBe(400);
    expect(missingFile.json().code).toBe('IMAGE_FILE_REQUIRED');
    const wrongField = await upload(multipart({ field: 'file', filename: 'a.png', contentType: 'image/png', data: png }));
    expect(wrongField.statusCode).toBe(400);
    const badPurpose = await upload(multipart({ filename: 'a.png', contentType: 'image/png', data: png }, { purpose: 'banner' }));
    expect(badPurpose.statusCode).toBe(400);
    const empty = await upload(multipart({ filename: 'a.png', contentType: 'image/png', data: Buffer.alloc(0) }));
    expect(empty.statusCode).toBeGreaterThanOrEqual(400);
    expect(empty.statusCode).toBeLessThan(500);
  });
});
