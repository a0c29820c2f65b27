// The reusable upload buffers (no server needed) and the id blocks of the repository (PostgreSQL).
import { describe, it, expect } from 'vitest';
import { Readable } from 'node:stream';
import { missingServers } from '../dailyfeed-shared/testing/servers.ts';
import { UploadBuffers } from '../src/images/upload-buffers.ts';
import { createPrisma } from '../src/db/prisma.ts';
import { ImagesRepository } from '../src/db/images-repo.ts';

const chunksOf = (data: Buffer, size: number) => Readable.from(Array.from({ length: Math.ceil(data.length / size) }, (_, i) => data.subarray(i * size, (i + 1) * size)));
const random = (bytes: number) => Buffer.from(Array.from({ length: bytes }, () => Math.floor(Math.random() * 256)));

describe('upload buffers', () => {
  it('answers exactly the bytes read, and reuses the buffer of a finished upload', async () => {
    const buffers = new UploadBuffers({ maxPooled: 2, maxPooledBytes: 4 * 1024 * 1024 });
    const big = random(700_000);
    const first = await buffers.read(chunksOf(big, 65_536), big.length, 10_000_000);
    expect(first.data.equals(big)).toBe(true);
    buffers.release(first.buffer);
    // A smaller upload after it lands in the same memory and sees none of the earlier bytes.
    const small = random(1_000);
    const second = await buffers.read(chunksOf(small, 300), small.length, 10_000_000);
    expect(second.buffer).toBe(first.buffer);
    expect(second.data.length).toBe(1_000);
    expect(second.data.equals(small)).toBe(true);
  });

  it('grows when the expected size was short (no Content-Length, or a wrong one)', async () => {
    const buffers = new UploadBuffers({ maxPooled: 2, maxPooledBytes: 4 * 1024 * 1024 });
    const data = random(1_500_000);
    const read = await buffers.read(chunksOf(data, 65_536), 0, 10_000_000);
    expect(read.data.equals(data)).toBe(true);
    // The outgrown buffers went back to the pool, the final one is held by the caller.
    expect(buffers.retained.buffers).toBeGreaterThan(0);
    expect(read.buffer.length).toBeGreaterThanOrEqual(data.length);
  });

  it('keeps at most maxPooled buffers of at most maxPooledBytes, preferring the larger ones', () => {
    const buffers = new UploadBuffers({ maxPooled: 2, maxPooledBytes: 1024 * 1024 });
    const [a, b, c] = [buffers.acquire(100), buffers.acquire(600_000), buffers.acquire(900_000)];
    buffers.release(a);
    buffers.release(b);
    buffers.release(c);
    expect(buffers.retained.buffers).toBe(2);
    expect(buffers.retained.bytes).toBe(b.length + c.length);
    buffers.release(buffers.acquire(2 * 1024 * 1024 + 1)); // too big to keep
    expect(buffers.retained.bytes).toBe(b.length + c.length);
  });

  it('gives the buffer back when the stream fails', async () => {
    const buffers = new UploadBuffers({ maxPooled: 2, maxPooledBytes: 4 * 1024 * 1024 });
    const failing = new Readable({
      read() {
        this.destroy(new Error('cut off'));
      },
    });
    await expect(buffers.read(failing, 1000, 10_000)).rejects.toThrow('cut off');
    expect(buffers.retained.buffers).toBe(1);
  });
});

const missing = await missingServers(['postgres']);

describe.skipIf(missing)('image ids', () => {
  it('two replicas reserving blocks concurrently never hand out the same id', async () => {
    const prismas = [createPrisma(process.env.DATABASE_URL!, 2), createPrisma(process.env.DATABASE_URL!, 2)];
    try {
      const repos = prismas.map((prisma) => new ImagesRepository(prisma));
      const perReplica = await Promise.all(repos.map((repo) => Promise.all(Array.from({ length: 70 }, () => repo.nextId()))));
      const all = perReplica.flat();
      expect(new Set(all).size).toBe(140);
      // Within a replica, in the order asked (a block is handed out front to back).
      for (const ids of perReplica) expect(ids).toEqual([...ids].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0)));
    } finally {
      await Promise.all(prismas.map((prisma) => prisma.$disconnect()));
    }
  });
});
