// InstagateError: the one error type the package throws; a real Error
// subclass, so `instanceof Error`, stack traces and `cause`-style logging work.
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
    this.retryable = fields.retryable === true;
    this.retryAfter = fields.retryAfter ?? null;
    this.field = fields.field ?? null;
  }
}

// Called from Rust (src/js/errors.rs) with positional fields.
export function makeInstagateError(kind, message, code, subcode, fbtraceId, errorType, status,
  retryable, retryAfter, field) {
  return new InstagateError({
    kind, message, code, subcode, fbtraceId, errorType, status, retryable, retryAfter, field,
  });
}
