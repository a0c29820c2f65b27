/** Image rows. Deleted images keep their row (deleted_at) so ids are never reused. */
import type { PrismaClient } from './prisma.ts';
import type { Image } from '../generated/prisma/client.ts';
import { AppError } from '../../dailyfeed-shared/src/http/errors.ts';
import { ErrorCode } from '../../dailyfeed-shared/src/contracts/error-codes.ts';

export type ImageRow = Image;

export interface StoredVariant {
  key: string;
  etag: string;
  width: number;
  height: number;
  bytes: number;
}

/**
 * Ids taken from the sequence per round trip. An upload needs its id before its row (the object
 * keys carry it), which cost a query of its own per upload; a block serves 32. Ids a replica had
 * reserved when it stops are never used: gaps, never reuse (ids are only unique, not dense).
 */
const ID_BLOCK = 32;

export class ImagesRepository {
  private reserved: bigint[] = [];
  private reserving: Promise<void> | null = null;

  constructor(private readonly prisma: PrismaClient) {}

  async nextId(): Promise<bigint> {
    while (this.reserved.length === 0) {
      // Concurrent uploads finding the block empty share one reservation.
      this.reserving ??= this.reserveIds().finally(() => (this.reserving = null));
      await this.reserving;
    }
    return this.reserved.shift()!;
  }

  private async reserveIds(): Promise<void> {
    const rows = await this.prisma.$queryRaw<Array<{ id: bigint }>>`
      SELECT nextval(pg_get_serial_sequence('image.images', 'id')) AS id FROM generate_series(1, ${ID_BLOCK}::int)`;
    this.reserved.push(...rows.map((row) => row.id));
  }

  create(row: Omit<ImageRow, 'createdAt' | 'deletedAt' | 'attachedAt' | 'attachedTo'>): Promise<ImageRow> {
    return this.prisma.image.create({ data: { ...row, variants: row.variants as object } });
  }

  async getImageOrThrow(id: bigint): Promise<ImageRow> {
    const row = await this.prisma.image.findFirst({ where: { id, deletedAt: null } });
    if (!row) throw new AppError(404, ErrorCode.IMAGE_NOT_FOUND, `image ${id} not found`);
    return row;
  }

  findLive(ids: bigint[]): Promise<ImageRow[]> {
    return this.prisma.image.findMany({ where: { id: { in: ids }, deletedAt: null } });
  }

  markDeleted(ids: bigint[]): Promise<{ count: number }> {
    return this.prisma.image.updateMany({ where: { id: { in: ids }, deletedAt: null }, data: { deletedAt: new Date() } });
  }

  attach(ids: bigint[], purpose: string, targetId: string | null): Promise<{ count: number }> {
    return this.prisma.image.updateMany({ where: { id: { in: ids }, deletedAt: null }, data: { purpose, attachedTo: targetId, attachedAt: new Date() } });
  }

  detach(ids: bigint[], ownerId: bigint): Promise<{ count: number }> {
    return this.prisma.image.updateMany({ where: { id: { in: ids }, ownerId, deletedAt: null }, data: { attachedTo: null, attachedAt: null } });
  }

  /** Live images never attached (or detached) and created before `before`. */
  findUnattachedBefore(before: Date, limit: number): Promise<ImageRow[]> {
    return this.prisma.image.findMany({ where: { attachedAt: null, deletedAt: null, createdAt: { lt: before } }, orderBy: { createdAt: 'asc' }, take: limit });
  }
}

export const variantsOf = (row: ImageRow) => row.variants as unknown as Record<string, StoredVariant>;
