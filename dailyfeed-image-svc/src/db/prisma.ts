/**
 * The Prisma client of image-svc: the query-compiler client over the pg driver adapter
 * (no native engine), with explicit pool settings and this service's schema first.
 */
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '../generated/prisma/client.ts';

export function createPrisma(databaseUrl: string, poolSize: number): PrismaClient {
  const adapter = new PrismaPg({
    connectionString: databaseUrl,
    max: poolSize,
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: 5_000,
    options: '-c search_path=image,public',
  });
  return new PrismaClient({ adapter });
}
export type { PrismaClient };
