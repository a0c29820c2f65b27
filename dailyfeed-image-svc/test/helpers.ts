/** Test support: the app as in production against real PostgreSQL, Redis and MinIO; fixtures made with sharp. */
import sharp from 'sharp';
import { crc32, deflateSync } from 'node:zlib';
import pg from 'pg';
import { Client } from 'minio';
import { runId } from '../dailyfeed-shared/testing/servers.ts';
import { startFakeMemberService, type FakeMemberService } from '../dailyfeed-shared/testing/fake-member-service.ts';
import { buildApp } from '../src/app.ts';
import { loadImageConfig } from '../src/config.ts';

export async function startTestApp(overrides: Record<string, string> = {}) {
  const member = await startFakeMemberService();
  const bucket = `test-images-${runId()}`.toLowerCase();
  const config = loadImageConfig({
    ...process.env,
    MEMBER_SVC_URL: member.url,
    S3_BUCKET: bucket,
    IMAGE_JOBS_ENABLED: 'false',
    LOG_LEVEL: 'silent',
    ...overrides,
  });
  const app = await buildApp(config, { logger: false });
  return { app, member, bucket, config };
}

/** A plain S3 client on the test store, for what the service never does (dropping buckets). */
export function s3Client(): Client {
  const url = new URL(process.env.S3_ENDPOINT!);
  return new Client({ endPoint: url.hostname, port: Number(url.port), useSSL: false, accessKey: process.env.S3_ACCESS_KEY!, secretKey: process.env.S3_SECRET_KEY! });
}

/** Stops the app and leaves nothing behind: the objects, the test bucket, the rows of this file's members. */
export async function stopTestApp(ctx: { app: Awaited<ReturnType<typeof buildApp>>; member: FakeMemberService; bucket: string }) {
  const keys = await ctx.app.storage.list('');
  await ctx.app.storage.remove(keys);
  await ctx.app.close();
  await ctx.member.close();
  await s3Client().removeBucket(ctx.bucket).catch(() => undefined);
  if (owners.size > 0) {
    const db = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await db.connect();
    await db.query('DELETE FROM image.images WHERE owner_id = ANY($1::bigint[])', [[...owners]]);
    await db.end();
    owners.clear();
  }
}

const owners = new Set<string>();
let memberCounter = 0;
export function newMember(member: FakeMemberService) {
  memberCounter += 1;
  const id = String(900_000_000 + Math.floor(Math.random() * 1_000_000) * 10 + memberCounter);
  owners.add(id);
  return { id, token: member.tokenFor({ id }) };
}

/** A multipart body with one file part (and optional text fields), as a browser sends it. */
export function multipart(file: { field?: string; filename: string; contentType: string; data: Buffer } | null, fields: Record<string, string> = {}) {
  const boundary = `----dailyfeed${runId()}`;
  const chunks: Buffer[] = [];
  for (const [name, value] of Object.entries(fields)) {
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`));
  }
  if (file) {
    chunks.push(
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${file.field ?? 'image'}"; filename="${file.filename}"\r\nContent-Type: ${file.contentType}\r\n\r\n`),
      file.data,
      Buffer.from('\r\n'),
    );
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { payload: Buffer.concat(chunks), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}

/** A noisy gradient, so encoders cannot shrink it to nothing. */
export function picture(width = 640, height = 480) {
  const raw = Buffer.alloc(width * height * 3);
  for (let i = 0; i < raw.length; i += 3) {
    const p = i / 3;
    raw[i] = (p % width) & 0xff;
    raw[i + 1] = Math.floor(p / width) & 0xff;
    raw[i + 2] = (p * 2654435761) & 0xff;
  }
  return sharp(raw, { raw: { width, height, channels: 3 } });
}

export const fixtures = {
  jpeg: () => picture().jpeg().toBuffer(),
  png: () => picture().png().toBuffer(),
  webp: () => picture().webp().toBuffer(),
  gif: () => picture(200, 150).gif().toBuffer(),
  avif: () => picture(320, 240).avif({ effort: 0 }).toBuffer(),
};

/** A JPEG carrying GPS coordinates in its EXIF. */
export const jpegWithGps = () =>
  picture()
    .jpeg()
    .withExif({ IFD0: { Make: 'DailyfeedCam' }, IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '37/1 33/1 0/1', GPSLongitudeRef: 'E', GPSLongitude: '126/1 58/1 0/1' } })
    .toBuffer();

/** A tiny, valid PNG whose header declares width x height pixels (a decompression bomb). */
export function declaredHugePng(width = 50_000, height = 50_000): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body) >>> 0);
    return Buffer.concat([length, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // greyscale
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.alloc(1024))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}
