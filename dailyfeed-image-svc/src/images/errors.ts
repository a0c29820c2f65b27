/**
 * Coded errors of image-svc that have no shared code (dailyfeed-shared/src/contracts/error-codes.ts
 * holds the ones other services see through api.md).
 */
import { AppError } from '../../dailyfeed-shared/src/http/errors.ts';

export const ImageErrorCode = {
  /** The upload starts like a supported image but is damaged or truncated (422). */
  IMAGE_DECODE_FAILED: 'IMAGE_DECODE_FAILED',
  /** Multipart without the `image` file, with another file field, or with an empty file (400). */
  IMAGE_FILE_REQUIRED: 'IMAGE_FILE_REQUIRED',
  IMAGE_FILE_EMPTY: 'IMAGE_FILE_EMPTY',
  /** A body that says multipart but cannot be parsed as one (no boundary, cut off, bad part headers) (400). */
  MALFORMED_MULTIPART: 'MALFORMED_MULTIPART',
  /** Object storage unreachable, timing out or answering 5xx (503: the client may retry). */
  IMAGE_STORAGE_UNAVAILABLE: 'IMAGE_STORAGE_UNAVAILABLE',
} as const;

export const storageUnavailable = (cause: unknown) =>
  new AppError(503, ImageErrorCode.IMAGE_STORAGE_UNAVAILABLE, 'image storage is unavailable, try again shortly', { cause });

/** A variant object that the database knows but storage does not have. */
export class ObjectMissingError extends Error {
  constructor(readonly key: string) {
    super(`object ${key} is missing from storage`);
    this.name = 'ObjectMissingError';
  }
}
