/** The use cases of image-svc: upload, view, delete, and the internal attach/detach/delete. */
import type { Readable } from 'node:stream';
import { AppError } from '../../dailyfeed-shared/src/http/errors.ts';
import { ErrorCode } from '../../dailyfeed-shared/src/contracts/error-codes.ts';
import { ImagesRepository, variantsOf, type ImageRow, type StoredVariant } from '../db/images-repo.ts';
import { ObjectStorage } from './object-storage.ts';
import { ImageErrorCode, ObjectMissingError } from './errors.ts';
import { ImagePipeline, VARIANT_CONTENT_TYPE, VARIANT_NAMES, type VariantName } from './pipeline.ts';

export interface ViewableVariant {
  etag: string;
  contentType: string;
  bytes: number;
  open(): Promise<Readable>;
}

const parseId = (id: string) => BigInt(id);

export class ImageService {
  constructor(
    private readonly images: ImagesRepository,
    private readonly storage: ObjectStorage,
    private readonly pipeline: ImagePipeline,
  ) {}

  async upload(ownerId: string, purpose: string, file: Buffer): Promise<ImageRow> {
    if (file.length === 0) throw new AppError(400, ImageErrorCode.IMAGE_FILE_EMPTY, 'the uploaded file is empty');
    const processed = await this.pipeline.process(file);
    const id = await this.images.nextId();
    const variants: Record<string, StoredVariant> = {};
    const keys = VARIANT_NAMES.map((name) => ObjectStorage.keyOf(id.toString(), name));
    try {
      await Promise.all(
        VARIANT_NAMES.map(async (name, index) => {
          const variant = processed.variants[name];
          const key = keys[index]!;
          const etag = await this.storage.put(key, variant.data, VARIANT_CONTENT_TYPE);
          variants[name] = { key, etag, width: variant.width, height: variant.height, bytes: variant.data.length };
        }),
      );
      return await this.images.create({
        id,
        ownerId: parseId(ownerId),
        purpose,
        sourceType: processed.format,
        width: processed.width,
        height: processed.height,
        sizeBytes: file.length,
        variants: variants as unknown as ImageRow['variants'],
      });
    } catch (error) {
      await this.storage.remove(keys).catch(() => undefined);
      throw error;
    }
  }

  async variantOrThrow(imageId: string, variant: VariantName): Promise<ViewableVariant> {
    const row = await this.images.getImageOrThrow(parseId(imageId));
    const stored = variantsOf(row)[variant];
    if (!stored) throw new AppError(404, ErrorCode.IMAGE_NOT_FOUND, `image ${imageId} has no ${variant} variant`);
    return {
      etag: `"${stored.etag}"`,
      contentType: VARIANT_CONTENT_TYPE,
      bytes: stored.bytes,
      open: () =>
        this.storage.get(stored.key).catch((error: unknown) => {
          // A row whose object is gone (a delete interrupted between storage and database) reads as unknown.
          if (error instanceof ObjectMissingError) throw new AppError(404, ErrorCode.IMAGE_NOT_FOUND, `image ${imageId} not found`, { cause: error });
          throw error;
        }),
    };
  }

  async deleteOwned(callerId: string, imageId: string): Promise<void> {
    const row = await this.images.getImageOrThrow(parseId(imageId));
    if (row.ownerId.toString() !== callerId) throw new AppError(403, ErrorCode.IMAGE_FORBIDDEN, 'only the owner may delete this image');
    await this.remove([row]);
  }

  /** All-or-nothing: every id must be a live image of the owner, free or already attached to this same target. */
  async attach(ownerId: string, imageIds: string[], purpose: string, targetId: string | null): Promise<number> {
    const ids = [...new Set(imageIds)].map(parseId);
    const rows = await this.images.findLive(ids);
    if (rows.length !== ids.length) {
      const found = new Set(rows.map((row) => row.id));
      const missing = ids.filter((id) => !found.has(id));
      throw new AppError(404, ErrorCode.IMAGE_NOT_FOUND, `image ${missing.join(', ')} not found`);
    }
    const foreign = rows.filter((row) => row.ownerId.toString() !== ownerId);
    if (foreign.length > 0) throw new AppError(403, ErrorCode.IMAGE_FORBIDDEN, `image ${foreign.map((row) => row.id).join(', ')} belongs to another member`);
    // An image is in use by one thing at a time: were it shared, detaching it from one post (or
    // member-svc deleting a replaced avatar) would remove it from under the other.
    const elsewhere = rows.filter((row) => row.attachedAt !== null && (row.attachedTo !== targetId || row.purpose !== purpose));
    if (elsewhere.length > 0) {
      throw new AppError(409, ErrorCode.IMAGE_IN_USE, `image ${elsewhere.map((row) => row.id).join(', ')} is already in use elsewhere`);
    }
    return (await this.images.attach(ids, purpose, targetId)).count;
  }

  async detach(ownerId: string, imageIds: string[]): Promise<number> {
    return (await this.images.detach([...new Set(imageIds)].map(parseId), parseId(ownerId))).count;
  }

  /** Deletes the owner's images among the ids (others' are ignored), every variant included. */
  async deleteMany(ownerId: string, imageIds: string[]): Promise<number> {
    const rows = (await this.images.findLive([...new Set(imageIds)].map(parseId))).filter((row) => row.ownerId.toString() === ownerId);
    await this.remove(rows);
    return rows.length;
  }

  /** The cleanup job: images nobody attached within the TTL. Returns how many were removed. */
  async removeUnattached(olderThan: Date, batch = 100): Promise<number> {
    const rows = await this.images.findUnattachedBefore(olderThan, batch);
    await this.remove(rows);
    return rows.length;
  }

  private async remove(rows: ImageRow[]): Promise<void> {
    if (rows.length === 0) return;
    // Objects first: a row marked deleted whose objects linger would never be swept again.
    await this.storage.remove(rows.flatMap((row) => Object.values(variantsOf(row)).map((variant) => variant.key)));
    await this.images.markDeleted(rows.map((row) => row.id));
  }
}
