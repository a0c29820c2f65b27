/**
 * Post images through image-svc's internal API (bulk client profile): attach checks that the
 * caller owns every image and marks them in use, so image cleanup never deletes them.
 */
import { AppError } from '../../dailyfeed-shared/src/http/errors.ts';
import { ErrorCode } from '../../dailyfeed-shared/src/contracts/error-codes.ts';
import { ServiceUnavailableError, UpstreamRejectedError } from '../../dailyfeed-shared/src/clients/errors.ts';
import type { ServiceClient } from '../../dailyfeed-shared/src/clients/service-client.ts';
import { INTERNAL_IMAGE_PATHS } from '../../dailyfeed-shared/src/contracts/internal/image.ts';

type Attach = (imageIds: string[], postId: string) => Promise<void>;

/** What image-svc's refusal of an attach means for our client (contract: internal/image.ts). */
function attachRefusal(error: UpstreamRejectedError): AppError {
  switch (error.upstreamStatus) {
    case 400: // an id image-svc cannot take: for the client, no such image
    case 404:
      return new AppError(400, ErrorCode.IMAGE_NOT_FOUND, 'an image does not exist');
    case 403:
      return new AppError(403, ErrorCode.IMAGE_FORBIDDEN, 'an image belongs to another member');
    case 409:
      return new AppError(409, ErrorCode.IMAGE_IN_USE, 'an image is already used by another post or as an avatar: upload it again');
    default:
      // Any other 4xx is a contract mismatch between the services, not the client's doing.
      return new ServiceUnavailableError('image', 'bad-response', { cause: error, upstreamStatus: error.upstreamStatus });
  }
}

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
      throw error instanceof UpstreamRejectedError ? attachRefusal(error) : error;
    }
  }

  /**
   * Runs a post write (its transaction) that attaches images through the given `attach`. If the
   * write fails after image-svc accepted an attach, those images are detached again: otherwise
   * they would stay in use by a post that was never written (every later attach of them 409).
   * Only attaches that image-svc confirmed are undone: a refused one (409) may concern an image
   * of another post, and one whose outcome is unknown (timeout) may too.
   */
  async withAttachments<T>(ownerId: string, write: (attach: Attach) => Promise<T>): Promise<T> {
    const attached: string[] = [];
    try {
      return await write(async (imageIds, postId) => {
        await this.attach(ownerId, imageIds, postId);
        attached.push(...imageIds);
      });
    } catch (error) {
      if (attached.length > 0) {
        this.log.warn({ err: error, imageIds: attached }, 'post write failed after attaching images: detaching them');
        await this.detach(ownerId, attached);
      }
      throw error;
    }
  }

  /** Best effort (failures logged): an image left attached is only kept longer than needed. */
  async detach(ownerId: string, imageIds: string[]): Promise<void> {
    if (imageIds.length === 0 || !this.images) return;
    await this.images.post(INTERNAL_IMAGE_PATHS.detach, { body: { ownerId, imageIds }, idempotent: true }).catch((error: unknown) => {
      this.log.warn({ err: error, imageIds }, 'detaching images failed');
    });
  }
}
