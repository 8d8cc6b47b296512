// InstagateError: the one error type the package throws; a real Error subclass.
export class InstagateError extends Error {
  constructor(fields) {
    super(fields.message);
    this.name = 'InstagateError';
    this.kind = fields.kind;
    this.code = fields.code ?? null;
    this.subcode = fields.subcode ?? null;
    this.fbtraceId = fields.fbtraceId ?? null;
    this.errorType = fields.errorType ?? null;
    this.status = fields.status ?? null;
    this.retryable = fields.retryable;
    this.retryAfter = fields.retryAfter ?? null;
    this.field = fields.field ?? null;
  }
}
export function makeInstagateError(fields) {
  return new InstagateError(fields);
}
