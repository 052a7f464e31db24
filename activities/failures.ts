// Maps the olostep/ error family to Temporal ApplicationFailures with stable `type` strings (never derived from
// class names). Messages come from the olostep errors, which never carry the API key.
import { ApplicationFailure } from '@temporalio/common';
import { isOlostepError, type OlostepErrorName } from '../olostep/errors';

/** Stable failure types, as workflows and other languages' clients see them. */
export const FAILURE_TYPE_BY_ERROR: Readonly<Record<OlostepErrorName, string>> = {
  OlostepError: 'OlostepError',
  ValidationError: 'Validation',
  UnauthorizedError: 'Unauthorized',
  PaymentRequiredError: 'PaymentRequired',
  ForbiddenError: 'Forbidden',
  NotFoundError: 'NotFound',
  ConflictError: 'Conflict',
  RateLimitedError: 'RateLimited',
  ServerError: 'ServerError',
  UnexpectedStatusError: 'UnexpectedStatus',
  NetworkError: 'Network',
  TimeoutError: 'Timeout',
  AbortedError: 'Aborted',
  ContractViolationError: 'ContractViolation',
  InvalidBatchIdError: 'InvalidBatchId',
  ClientConfigError: 'ClientConfig',
};

/**
 * An ApplicationFailure for any error an olostep call threw: non-retryable where the API said no (404, 401, 402,
 * 403, 400, bad id), `nextRetryDelay` from Retry-After on 429 (and 503 when sent), retryable otherwise.
 * Unknown errors (bugs) keep their message but not their stack's locals; they stay retryable.
 */
export function toApplicationFailure(err: unknown): ApplicationFailure {
  if (isOlostepError(err)) {
    const retryAfterMs = (err as { retryAfterMs?: unknown }).retryAfterMs;
    const details = (err as { details?: unknown }).details;
    return ApplicationFailure.create({
      message: err.message,
      type: FAILURE_TYPE_BY_ERROR[err.name] ?? 'OlostepError',
      nonRetryable: !err.retryable,
      // Retry-After also goes in details: failure decoding does not carry nextRetryDelay back to workflow code.
      details: [
        {
          status: err.status,
          code: err.code,
          retryAfterMs: typeof retryAfterMs === 'number' ? retryAfterMs : null,
          ...(Array.isArray(details) ? { details } : {}),
        },
      ],
      ...(typeof retryAfterMs === 'number' && retryAfterMs > 0 ? { nextRetryDelay: retryAfterMs } : {}),
    });
  }
  const message = err instanceof Error ? err.message : String(err);
  return ApplicationFailure.create({ message, type: 'Unexpected', nonRetryable: false });
}
