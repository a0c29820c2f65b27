/** Checks JSON Schema cannot express: a birth date in the past, a real IANA time zone. */
import { ErrorCode } from '../../dailyfeed-shared/src/contracts/error-codes.ts';
import { AppError } from '../../dailyfeed-shared/src/http/errors.ts';

const invalid = (field: string, message: string) =>
  new AppError(400, ErrorCode.VALIDATION_FAILED, `${field} ${message}`, { details: [{ field, message }] });

export function checkMemberFields(body: { birthDate?: string | null | undefined; timezone?: string | null | undefined }, now: number): void {
  if (body.birthDate) {
    const date = Date.parse(`${body.birthDate}T00:00:00Z`);
    if (!Number.isFinite(date) || date >= now) throw invalid('birthDate', 'must be a date in the past');
  }
  if (body.timezone) {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: body.timezone });
    } catch {
      throw invalid('timezone', 'must be an IANA time zone (e.g. Asia/Seoul)');
    }
  }
}

export const upperOrNull = (value: string | null | undefined) => (value === undefined ? undefined : value === null ? null : value.toUpperCase());
