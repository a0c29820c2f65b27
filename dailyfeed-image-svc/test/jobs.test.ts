// The cleanup job through the shared runner (advisory lock, one replica), and the bucket race.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import pg from 'pg';
import { missingServers, runId } from '../dailyfeed-shared/testing/servers.ts';
import { advisoryLockKey } from '../dailyfeed-shared/src/jobs/job-runner.ts';
import { ObjectStorage } from '../src/images/object-storage.ts';
import { fixtures, multipart, newMember, s3Client, startTestApp, stopTestApp } from './helpers.ts';

const missing = await missingServers(['postgres', 'redis', 'minio']);
const JOB = 'image.unattached-cleanup';

describe.skipIf(missing)('unattached cleanup job', () => {
  let ctx: Awaited<ReturnType<typeof startTestApp>>;
  let alice: ReturnType<typeof newMember>;
  let db: pg.Client;
  beforeAll(async () => {
    ctx = await startTestApp({ IMAGE_JOBS_ENABLED: 'true' });
    alice = newMember(ctx.member);
    db = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await db.connect();
  });
  afterAll(async () => {
    await db.end();
    await stopTestApp(ctx);
  });

  const upload = async () => {
    const body = multipart({ filename: 'a.png', contentType: 'image/png', data: await fixtures.png() });
    const res = await ctx.app.inject({ method: 'POST', url: '/api/images/upload', headers: { ...body.headers, authorization: `Bearer ${alice.token}` }, payload: body.payload });
    return res.json().data.id as string;
  };
  const age = (ids: string[], hours: number) => db.query(`UPDATE image.images SET created_at = now() - make_interval(hours => $2) WHERE id = ANY($1::bigint[])`, [ids, hours]);
  const deletedAt = async (id: string) => (await db.query('SELECT deleted_at FROM image.images WHERE id = $1', [id])).rows[0].deleted_at as Date | null;

  it('waits while another replica holds the lock, then removes stale unattached images and keeps the rest', async () => {
    const stale = await upload();
    const attached = await upload();
    const fresh = await upload();
    const detachedLongAgo = await upload();
    await ctx.app.inject({ method: 'POST', url: '/internal/images/attach', payload: { ownerId: alice.id, imageIds: [attached, detachedLongAgo], purpose: 'post', targetId: '7' } });
    await ctx.app.inject({ method: 'POST', url: '/internal/images/detach', payload: { ownerId: alice.id, imageIds: [detachedLongAgo] } });
    await age([stale, attached, detachedLongAgo], 25);
    await age([fresh], 23);

    // Another replica runs the job: this one does nothing.
    const other = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await other.connect();
    await other.query('SELECT pg_advisory_lock($1::bigint)', [advisoryLockKey(JOB)]);
    expect(await ctx.app.jobs.tick(JOB)).toBe('locked-elsewhere');
    expect(await deletedAt(stale)).toBeNull();
    await other.end();

    expect(await ctx.app.jobs.tick(JOB)).toBe('ran');
    expect(await deletedAt(stale)).not.toBeNull();
    expect(await ctx.app.storage.list(`images/${stale}/`)).toEqual([]);
    // detached images count as unattached again (a deleted post's images go with it)
    expect(await deletedAt(detachedLongAgo)).not.toBeNull();
    expect(await ctx.app.storage.list(`images/${attached}/`)).toHaveLength(3);
    expect(await ctx.app.storage.list(`images/${fresh}/`)).toHaveLength(3);
    expect((await ctx.app.inject({ method: 'GET', url: `/api/images/view/${stale}` })).statusCode).toBe(404);
    expect((await ctx.app.inject({ method: 'GET', url: `/api/images/view/${attached}` })).statusCode).toBe(200);
  });
});

describe.skipIf(missing)('bucket creation', () => {
  it('two replicas creating the same bucket at once both succeed', async () => {
    const bucket = `test-race-${runId()}`;
    const replica = () =>
      new ObjectStorage({ endpoint: process.env.S3_ENDPOINT!, accessKey: process.env.S3_ACCESS_KEY!, secretKey: process.env.S3_SECRET_KEY!, bucket, region: 'us-east-1' });
    const replicas = [replica(), replica(), replica()];
    try {
      await Promise.all(replicas.map((storage) => storage.ensureBucket()));
      await replicas[0]!.ensureBucket(); // and again once it exists
      await replicas[1]!.ping();
    } finally {
      for (const storage of replicas) storage.close();
      await s3Client().removeBucket(bucket).catch(() => undefined);
    }
  });
});
