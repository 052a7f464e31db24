// The ApplicationFailure types of the project, in one table: what each olostep error becomes when an activity fails,
// which of those end tracking, and the types the two workflows end with. Stable strings, never class names, so
// clients in any language can match on them. Plain data with no runtime import: activities, workflow code, the
// client library and the CLI's exit codes all read it here (clients through ./contract).
import type { OlostepErrorName } from '../olostep/errors';

/** The failure type an activity reports for each olostep error. */
export const FAILURE_TYPE_BY_ERROR = {
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
} as const satisfies Record<OlostepErrorName, string>;

/** Anything that is not an olostep error (a bug): its message is kept, and activities stay retryable. */
export const UNEXPECTED_FAILURE_TYPE = 'Unexpected';
/** How the tracker counts a status call that ran out of time on the worker (the activity's own timeout). */
export const ACTIVITY_TIMEOUT_FAILURE_TYPE = 'ActivityTimeout';

/** ApplicationFailure types the tracker ends with. */
export const TRACK_FAILURE_TYPES = {
  notFound: FAILURE_TYPE_BY_ERROR.NotFoundError,
  unauthorized: FAILURE_TYPE_BY_ERROR.UnauthorizedError,
  paymentRequired: FAILURE_TYPE_BY_ERROR.PaymentRequiredError,
  forbidden: FAILURE_TYPE_BY_ERROR.ForbiddenError,
  invalidBatchId: FAILURE_TYPE_BY_ERROR.InvalidBatchIdError,
  /** The API answered the status call with 400: it refuses the request itself. */
  validation: FAILURE_TYPE_BY_ERROR.ValidationError,
  deadlineExceeded: 'TrackingDeadlineExceeded',
  stalled: 'BatchStalled',
  /** TrackOptions are malformed; the tracker ends before its first poll. */
  invalidOptions: 'InvalidTrackOptions',
} as const;

/**
 * Status-call failures that end tracking: the API said no, and asking again will not change that. A 404 only once
 * the not-found grace period is over (a just-created batch may not be visible yet).
 */
export const TRACKING_ENDS_ON: readonly string[] = [
  TRACK_FAILURE_TYPES.notFound,
  TRACK_FAILURE_TYPES.unauthorized,
  TRACK_FAILURE_TYPES.paymentRequired,
  TRACK_FAILURE_TYPES.forbidden,
  TRACK_FAILURE_TYPES.invalidBatchId,
  TRACK_FAILURE_TYPES.validation,
];

/** Tracker failure types that mean the AirOps API does not know the batch. */
export const NOT_FOUND_FAILURE_TYPES: readonly string[] = [TRACK_FAILURE_TYPES.notFound];

/** ApplicationFailure types runAirOpsBatch itself ends with; create failures keep the activity's type. */
export const RUN_FAILURE_TYPES = {
  /** The create request breaks a documented limit; nothing was sent. Details: `{problems: [{path, message, code}]}`. */
  invalidRequest: 'InvalidCreateRequest',
  /** RunOptions are malformed; nothing was sent. */
  invalidOptions: 'InvalidRunOptions',
  /** The tracker ended without a terminal status (someone cancelled it). Details: `{batchId}`. */
  trackingEnded: 'TrackingEnded',
} as const;
