/** Public image routes of api.md §5 (HTTP only: parsing, status codes, headers). */
import { Type } from 'typebox';
import type { FastifyRequest } from 'fastify';
import type { ServiceApp } from '../../dailyfeed-shared/src/http/app-factory.ts';
import { AppError } from '../../dailyfeed-shared/src/http/errors.ts';
import { ErrorCode } from '../../dailyfeed-shared/src/contracts/error-codes.ts';
import { Id, ImageVariant, UploadedImage } from '../../dailyfeed-shared/src/contracts/api.ts';
import { ErrorEnvelope, noContentResponses, responses, success } from '../../dailyfeed-shared/src/contracts/envelope.ts';
import { getCallerOrThrow } from '../../dailyfeed-shared/src/clients/auth-plugin.ts';
import type { ImageService } from '../images/image-service.ts';
import { toUploadedImage } from '../images/image-mapper.ts';
import { ImageErrorCode } from '../images/errors.ts';
import type { UploadBuffers } from '../images/upload-buffers.ts';

const PURPOSES = new Set(['post', 'profile']);
const IMMUTABLE = 'public, max-age=31536000, immutable';

/** RFC 9110 If-None-Match: `*`, or a list of entity tags compared weakly (W/ prefix ignored). */
export function matchesIfNoneMatch(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === '*') return true;
  const strip = (tag: string) => tag.trim().replace(/^W\//, '');
  return header.split(',').some((tag) => strip(tag) === strip(etag));
}

/**
 * Reads the multipart body: the file of field `image` (at most maxBytes, counted by busboy while
 * the bytes arrive, so a bigger body is cut off at the limit and never held whole) and `purpose`.
 * The file lands in a reusable buffer (sized from Content-Length, which bounds it): the caller
 * releases `buffer` when done with `file`. Every way the body can be wrong is a 4xx in the envelope.
 */
async function readUpload(request: FastifyRequest, maxBytes: number, buffers: UploadBuffers): Promise<{ file: Buffer; buffer: Buffer; purpose: string }> {
  if (!request.isMultipart()) {
    throw new AppError(415, ErrorCode.UNSUPPORTED_MEDIA_TYPE, 'send the image as multipart/form-data in the field `image`');
  }
  let purpose = 'post';
  let read: { buffer: Buffer; data: Buffer } | undefined;
  try {
    for await (const part of request.parts({ limits: { fileSize: maxBytes, files: 1, fields: 4, fieldSize: 64, parts: 5 } })) {
      if (part.type === 'file') {
        if (part.fieldname !== 'image') {
          part.file.resume();
          throw new AppError(400, ImageErrorCode.IMAGE_FILE_REQUIRED, `unexpected file field \`${part.fieldname}\`: the image goes in \`image\``);
        }
        read = await buffers.read(part.file, Number(request.headers['content-length']) || 0, maxBytes);
        // busboy ends the file stream at the limit and marks it truncated.
        if (part.file.truncated) throw new AppError(413, ErrorCode.IMAGE_TOO_LARGE, `the image is larger than ${maxBytes} bytes`);
      } else if (part.fieldname === 'purpose') {
        purpose = String(part.value);
      }
    }
    if (!PURPOSES.has(purpose)) throw new AppError(400, ErrorCode.VALIDATION_FAILED, 'purpose must be `post` or `profile`');
    if (!read) throw new AppError(400, ImageErrorCode.IMAGE_FILE_REQUIRED, 'the multipart field `image` is missing');
    return { file: read.data, buffer: read.buffer, purpose };
  } catch (error) {
    if (read) buffers.release(read.buffer);
    throw multipartError(error, maxBytes);
  }
}

function multipartError(error: unknown, maxBytes: number): unknown {
  if (error instanceof AppError) return error;
  const { code, statusCode, message } = error as { code?: string; statusCode?: number; message?: string };
  if (code === 'FST_REQ_FILE_TOO_LARGE') return new AppError(413, ErrorCode.IMAGE_TOO_LARGE, `the image is larger than ${maxBytes} bytes`);
  if (code === 'FST_FILES_LIMIT' || code === 'FST_PARTS_LIMIT' || code === 'FST_FIELDS_LIMIT') {
    return new AppError(400, ErrorCode.VALIDATION_FAILED, 'send one file in the field `image` and at most the field `purpose`', { cause: error });
  }
  if (statusCode && statusCode >= 400 && statusCode < 500) return error;
  // busboy's own errors (no boundary, unexpected end of form, malformed part headers) carry no status.
  return new AppError(400, ImageErrorCode.MALFORMED_MULTIPART, `malformed multipart body: ${message ?? 'unreadable'}`, { cause: error });
}

export function registerImageRoutes(app: ServiceApp, images: ImageService, maxBytes: number, buffers: UploadBuffers): void {
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
      const { file, buffer, purpose } = await readUpload(request, maxBytes, buffers);
      let row;
      try {
        row = await images.upload(caller.member.id, purpose, file);
      } finally {
        // The pipeline has settled: sharp no longer reads the buffer.
        buffers.release(buffer);
      }
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
      if (matchesIfNoneMatch(request.headers['if-none-match'], variant.etag)) {
        return reply.code(304).header('etag', variant.etag).header('cache-control', IMMUTABLE).send(null);
      }
      // Opened before any caching header is set: a 404 or 503 from storage must not be cached.
      const body = await variant.open();
      void reply.headers({ etag: variant.etag, 'cache-control': IMMUTABLE, 'content-type': variant.contentType, 'content-length': variant.bytes });
      return reply.send(body);
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
