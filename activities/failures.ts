// Maps the olostep/ error family to Temporal ApplicationFailures with stable `type` strings (never derived from
// class names). Messages come from the olostep errors, which never carry the API key.
import { Context } from '@temporalio/activity';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { isOlostepError } from '../olostep/errors';
import { FAILURE_TYPE_BY_ERROR, UNEXPECTED_FAILURE_TYPE } from '../workflows/failure-types';

/** Stable failure types, as workflows and other languages' clients see them (the table in workflows/failure-types). */
export { FAILURE_TYPE_BY_ERROR };

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
      type: FAILURE_TYPE_BY_ERROR[err.name] ?? FAILURE_TYPE_BY_ERROR.OlostepError,
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
  return ApplicationFailure.create({ message, type: UNEXPECTED_FAILURE_TYPE, nonRetryable: false });
}

/**
 * What an activity throws for an error of its API call: when the activity itself was cancelled (the workflow
 * cancelled it, its heartbeat timed out, the worker is shutting down), the cancellation, so that Temporal records a
 * cancelled attempt (and retries one the worker dropped) instead of a failed one; otherwise toApplicationFailure(err).
 */
export function activityFailure(err: unknown): CancelledFailure | ApplicationFailure {
  const signal = Context.current().cancellationSignal;
  if (signal.aborted) {
    const reason: unknown = signal.reason;
    return reason instanceof CancelledFailure ? reason : new CancelledFailure('activity cancelled');
  }
  return toApplicationFailure(err);
}
