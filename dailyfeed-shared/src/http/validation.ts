/**
 * Two Ajv instances: query strings, params and headers are text on the wire and are
 * coerced (`?size=20` -> 20); JSON bodies are not (`{"content": 123}` is a 400, not "123").
 * Both strip unknown properties, so extra body fields are ignored.
 */
import { Ajv, type Options } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';

// ajv-formats is CommonJS; under NodeNext its default import is the module object.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

// 'all': TypeBox objects do not say additionalProperties: false, and unknown fields are
// dropped (api.md: ignored) rather than reaching a handler or the database.
const base: Options = { removeAdditional: 'all', useDefaults: true, allErrors: false, strict: false };
const bodyAjv = addFormats(new Ajv({ ...base, coerceTypes: false }));
const textAjv = addFormats(new Ajv({ ...base, coerceTypes: 'array' }));

export const validatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) => {
  const ajv = httpPart === 'body' ? bodyAjv : textAjv;
  return ajv.compile(schema as object) as ReturnType<FastifySchemaCompiler<unknown>>;
};
