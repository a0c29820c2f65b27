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

export class ImagesRepository {
  constructor(private readonly prisma: PrismaClient) {}

  nextId(): Promise<bigint> {
    return this.prisma.$queryRaw<Array<{ id: bigint }>>`SELECT nextval(pg_get_serial_sequence('image.images', 'id')) AS id`.then(
      (rows) => rows[0]!.id,
    );
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
