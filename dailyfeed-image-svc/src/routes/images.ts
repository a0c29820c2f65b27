/** Public image routes of api.md §5 (HTTP only: parsing, status codes, headers). */
import { Type } from 'typebox';
import type { ServiceApp } from '../../dailyfeed-shared/src/http/app-factory.ts';
import { AppError } from '../../dailyfeed-shared/src/http/errors.ts';
import { ErrorCode } from '../../dailyfeed-shared/src/contracts/error-codes.ts';
import { Id, ImageVariant, UploadedImage } from '../../dailyfeed-shared/src/contracts/api.ts';
import { ErrorEnvelope, noContentResponses, responses, success } from '../../dailyfeed-shared/src/contracts/envelope.ts';
import { getCallerOrThrow } from '../../dailyfeed-shared/src/clients/auth-plugin.ts';
import type { ImageService } from '../images/image-service.ts';
import { toUploadedImage } from '../images/image-mapper.ts';

const PURPOSES = new Set(['post', 'profile']);
const IMMUTABLE = 'public, max-age=31536000, immutable';

export function registerImageRoutes(app: ServiceApp, images: ImageService, maxBytes: number): void {
  app.post(
    '/api/images/upload',
    {
      preHandler: app.authenticate,
      schema: {
        tags: ['images'],
        summary: 'Upload an image (multipart field `image`, optional field `purpose`)',
        consumes: ['multipart/form-data'],
        security: [{ bearerAuth: [] }],
        response: responses(201, UploadedImage),
      },
    },
    async (request, reply) => {
      const caller = getCallerOrThrow(request);
      if (!request.isMultipart()) {
        throw new AppError(415, ErrorCode.UNSUPPORTED_MEDIA_TYPE, 'send the image as multipart/form-data in the field `image`');
      }
      let purpose = 'post';
      let file: Buffer | undefined;
      try {
        for await (const part of request.parts({ limits: { fileSize: maxBytes, files: 1, fields: 4, fieldSize: 64, parts: 5 } })) {
        if (part.type === 'file') {
          if (part.fieldname !== 'image') {
            part.file.resume();
            throw new AppError(400, 'IMAGE_FILE_REQUIRED', `unexpected file field \`${part.fieldname}\`: the image goes in \`image\``);
          }
          file = await part.toBuffer();
        } else if (part.fieldname === 'purpose') {
          purpose = String(part.value);
        }
        }
      } catch (error) {
        if ((error as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE') {
          throw new AppError(413, ErrorCode.IMAGE_TOO_LARGE, `the image is larger than ${maxBytes} bytes`);
        }
        throw error;
      }
      if (!PURPOSES.has(purpose)) throw new AppError(400, ErrorCode.VALIDATION_FAILED, 'purpose must be `post` or `profile`');
      if (!file) throw new AppError(400, 'IMAGE_FILE_REQUIRED', 'the multipart field `image` is missing');
      const row = await images.upload(caller.member.id, purpose, file);
      reply.code(201);
      return success(201, toUploadedImage(row));
    },
  );

  app.get(
    '/api/images/view/:imageId',
    {
      schema: {
        tags: ['images'],
        summary: 'Image bytes of one variant (WebP)',
        params: Type.Object({ imageId: Id }),
        querystring: Type.Object({ variant: Type.Optional(ImageVariant) }),
        response: {
          200: Type.Unsafe<unknown>({ type: 'string', format: 'binary', description: 'image/webp bytes' }),
          304: Type.Null({ description: 'Not Modified' }),
          '4xx': ErrorEnvelope,
          '5xx': ErrorEnvelope,
        },
      },
    },
    async (request, reply) => {
      const variant = await images.variantOrThrow(request.params.imageId, request.query.variant ?? 'medium');
      void reply.header('etag', variant.etag).header('cache-control', IMMUTABLE);
      if (request.headers['if-none-match'] === variant.etag) return reply.code(304).send(null);
      void reply.header('content-type', variant.contentType).header('content-length', variant.bytes);
      return reply.send(await variant.open());
    },
  );

  app.delete(
    '/api/images/:imageId',
    {
      preHandler: app.authenticate,
      schema: { tags: ['images'], security: [{ bearerAuth: [] }], params: Type.Object({ imageId: Id }), response: noContentResponses() },
    },
    async (request, reply) => {
      await images.deleteOwned(getCallerOrThrow(request).member.id, request.params.imageId);
      return reply.code(204).send(null);
    },
  );
}
