/**
 * PostgreSQL text cannot hold U+0000: a NUL in a body, query or path would surface as a 500
 * from the database. Every service refuses it up front with a 400 instead.
 */
import type { FastifyInstance } from 'fastify';
import { AppError } from './errors.ts';
import { ErrorCode } from '../contracts/error-codes.ts';

export function containsNul(value: unknown, depth = 0): boolean {
  if (typeof value === 'string') return value.includes('\u0000');
  if (depth > 32 || value === null || typeof value !== 'object') return false;
  if (Array.isArray(value)) return value.some((item) => containsNul(item, depth + 1));
  return Object.entries(value).some(([key, item]) => key.includes('\u0000') || containsNul(item, depth + 1));
}

export function refuseNulCharacters(app: FastifyInstance): void {
  app.addHook('preValidation', async (request) => {
    if (containsNul(request.params) || containsNul(request.query) || containsNul(request.body)) {
      throw new AppError(400, ErrorCode.VALIDATION_FAILED, 'text must not contain NUL (U+0000) characters');
    }
  });
}
