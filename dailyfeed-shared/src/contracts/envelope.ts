import { Type, type Static, type TSchema } from 'typebox';

/** `{"status", "result": "SUCCESS", "data"}`: status always equals the HTTP status. */
export const SuccessEnvelope = <T extends TSchema>(data: T) =>
  Type.Object({ status: Type.Integer(), result: Type.Literal('SUCCESS'), data });

export const ErrorEnvelope = Type.Object({
  status: Type.Integer(),
  result: Type.Literal('FAIL'),
  code: Type.String(),
  message: Type.String(),
  path: Type.String(),
  requestId: Type.String(),
  details: Type.Optional(Type.Array(Type.Object({ field: Type.String(), message: Type.String() }))),
});
export type ErrorEnvelope = Static<typeof ErrorEnvelope>;

export const success = <T>(status: number, data: T) => ({ status, result: 'SUCCESS' as const, data });

/**
 * Response schemas for a route: the success shape under its status, the error
 * envelope under every 4xx/5xx, so OpenAPI documents both and fast-json-stringify
 * serialises both.
 */
export const responses = <T extends TSchema>(status: number, data: T) => ({
  [status]: SuccessEnvelope(data),
  '4xx': ErrorEnvelope,
  '5xx': ErrorEnvelope,
});

/** 204 routes: no body. */
export const noContentResponses = () => ({
  204: Type.Null({ description: 'No Content' }),
  '4xx': ErrorEnvelope,
  '5xx': ErrorEnvelope,
});
