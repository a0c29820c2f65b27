/**
 * The Prisma client of this service: the query compiler client over the pg driver
 * adapter (no native engine), with explicit pool settings; search_path is this
 * service's schema so hand-written SQL needs no schema prefix.
 */
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '../generated/prisma/client.ts';

export function createPrisma(databaseUrl: string, poolSize: number): PrismaClient {
  const adapter = new PrismaPg({
    connectionString: databaseUrl,
    max: poolSize,
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: 5_000,
    options: '-c search_path=member,public',
  });
  return new PrismaClient({ adapter });
}
