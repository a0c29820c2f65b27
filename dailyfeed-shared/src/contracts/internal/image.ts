/**
 * image-svc's internal API (service-to-service, never routed by the gateway).
 * content-svc attaches post images and detaches them when the post is deleted;
 * member-svc attaches an avatar and deletes the previous one.
 */
import { Type, type Static } from 'typebox';
import { Id } from '../api.ts';

export const ImagePurpose = Type.Union([Type.Literal('post'), Type.Literal('profile')]);

export const AttachImagesRequest = Type.Object({
  ownerId: Id,
  imageIds: Type.Array(Id, { minItems: 1, maxItems: 10 }),
  purpose: ImagePurpose,
  /** what the images are attached to, e.g. the post id */
  targetId: Type.Optional(Type.String({ maxLength: 64 })),
});
export type AttachImagesRequest = Static<typeof AttachImagesRequest>;

export const ImageIdsRequest = Type.Object({
  ownerId: Id,
  imageIds: Type.Array(Id, { minItems: 1, maxItems: 100 }),
});
export type ImageIdsRequest = Static<typeof ImageIdsRequest>;

/**
 * attach: every id attached, or none: 404 IMAGE_NOT_FOUND (unknown or deleted id), 403 IMAGE_FORBIDDEN
 * (another member's), 409 IMAGE_IN_USE (already attached to another target or purpose; attaching
 * again to the same target is idempotent). An image serves one post or one avatar at a time.
 */
export const AttachImagesResult = Type.Object({ attached: Type.Integer() });
/** detach / delete: how many of the caller's images changed; others' ids are ignored. */
export const ImageCountResult = Type.Object({ count: Type.Integer() });

export const INTERNAL_IMAGE_PATHS = {
  attach: '/internal/images/attach',
  detach: '/internal/images/detach',
  delete: '/internal/images/delete',
} as const;
