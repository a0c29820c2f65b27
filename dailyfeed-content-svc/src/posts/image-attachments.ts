/**
 * Post images through image-svc's internal API (bulk client profile): attach checks that the
 * caller owns every image and marks them in use, so image cleanup never deletes them.
 */
import { AppError } from '../../dailyfeed-shared/src/http/errors.ts';
import { ErrorCode } from '../../dailyfeed-shared/src/contracts/error-codes.ts';
import { UpstreamRejectedError } from '../../dailyfeed-shared/src/clients/errors.ts';
import type { ServiceClient } from '../../dailyfeed-shared/src/clients/service-client.ts';
import { INTERNAL_IMAGE_PATHS } from '../../dailyfeed-shared/src/contracts/internal/image.ts';

export class ImageAttachments {
  constructor(
    private readonly images: ServiceClient | null,
    private readonly log: { warn(obj: object, msg: string): void },
  ) {}

  async attach(ownerId: string, imageIds: string[], postId: string): Promise<void> {
    if (imageIds.length === 0) return;
    if (!this.images) throw new AppError(400, ErrorCode.IMAGE_NOT_FOUND, 'images cannot be attached: no image service is configured');
    try {
      await this.images.post(INTERNAL_IMAGE_PATHS.attach, { body: { ownerId, imageIds, purpose: 'post', targetId: postId }, idempotent: true });
    } catch (error) {
      if (error instanceof UpstreamRejectedError && error.upstreamStatus === 403) {
        throw new AppError(403, ErrorCode.IMAGE_FORBIDDEN, 'an image belongs to another member');
      }
      if (error instanceof UpstreamRejectedError) throw new AppError(400, ErrorCode.IMAGE_NOT_FOUND, 'an image does not exist');
      throw error;
    }
  }

  /** Best effort: an image left attached is only kept longer than needed. */
  async detach(ownerId: string, imageIds: string[]): Promise<void> {
    if (imageIds.length === 0 || !this.images) return;
    await this.images.post(INTERNAL_IMAGE_PATHS.detach, { body: { ownerId, imageIds }, idempotent: true }).catch((error: unknown) => {
      this.log.warn({ err: error, imageIds }, 'detaching images failed');
    });
  }
}
