/** image-svc's internal API (dailyfeed-shared/src/contracts/internal/image.ts); the gateway never routes /internal. */
import type { ServiceApp } from '../../dailyfeed-shared/src/http/app-factory.ts';
import { responses, success } from '../../dailyfeed-shared/src/contracts/envelope.ts';
import { AttachImagesRequest, AttachImagesResult, ImageCountResult, ImageIdsRequest, INTERNAL_IMAGE_PATHS } from '../../dailyfeed-shared/src/contracts/internal/image.ts';
import type { ImageService } from '../images/image-service.ts';

export function registerInternalRoutes(app: ServiceApp, images: ImageService): void {
  const tags = ['internal'];
  app.post(INTERNAL_IMAGE_PATHS.attach, { schema: { tags, body: AttachImagesRequest, response: responses(200, AttachImagesResult) } }, async (request) => {
    const { ownerId, imageIds, purpose, targetId } = request.body;
    return success(200, { attached: await images.attach(ownerId, imageIds, purpose, targetId ?? null) });
  });
  app.post(INTERNAL_IMAGE_PATHS.detach, { schema: { tags, body: ImageIdsRequest, response: responses(200, ImageCountResult) } }, async (request) =>
    success(200, { count: await images.detach(request.body.ownerId, request.body.imageIds) }),
  );
  app.post(INTERNAL_IMAGE_PATHS.delete, { schema: { tags, body: ImageIdsRequest, response: responses(200, ImageCountResult) } }, async (request) =>
    success(200, { count: await images.deleteMany(request.body.ownerId, request.body.imageIds) }),
  );
}
