/**
 * Coded errors. The application throws these; the one error handler of the app
 * factory turns them into the api.md error envelope. Transport-level errors
 * (HTTP clients, Kafka) are declared beside their clients and extend AppError too,
 * so a route never needs to know which transport failed.
 */
export class AppError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details?: Array<{ field: string; message: string }>;
  readonly headers?: Record<string, string>;

  constructor(
    status: number,
    code: string,
    message: string,
    options: { details?: Array<{ field: string; message: string }>; headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.status = status;
    this.code = code;
    if (options.details) this.details = options.details;
    if (options.headers) this.headers = options.headers;
  }
}

export const badRequest = (code: string, message: string) => new AppError(400, code, message);
export const unauthorized = (code: string, message: string) =>
  new AppError(401, code, message, { headers: { 'x-relogin-required': 'true' } });
export const forbidden = (code: string, message: string) => new AppError(403, code, message);
export const notFound = (code: string, message: string) => new AppError(404, code, message);
export const conflict = (code: string, message: string) => new AppError(409, code, message);
export const unprocessable = (code: string, message: string) => new AppError(422, code, message);
export const serviceUnavailable = (code: string, message: string) => new AppError(503, code, message);
