// The client library's own failures: a small family with literal names (never derived from class names), each
// keeping the Temporal error it came from as `cause`.
import { WorkflowNotFoundError } from '@temporalio/common';

/** gRPC status codes used here (from the gRPC spec; @grpc/grpc-js is only a transitive dependency). */
/** The gRPC status codes the project tells apart (google.rpc.Code). */
export const GRPC_STATUS = {
  CANCELLED: 1,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  FAILED_PRECONDITION: 9,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;

export type AirOpsClientErrorName =
  'TrackerNotFoundError' | 'TrackerQueryTimeoutError' | 'InvalidListFilterError' | 'MissingSearchAttributesError';

/** Base class of the client library's errors. */
export class AirOpsClientError extends Error {
  declare readonly name: AirOpsClientErrorName;
}

/** No tracker workflow exists for this batch (it was never tracked, or its history was deleted by retention). */
export class TrackerNotFoundError extends AirOpsClientError {
  override readonly name = 'TrackerNotFoundError' as const;
  constructor(
    readonly batchId: string,
    readonly workflowId: string,
    options?: { cause?: unknown },
  ) {
    super(`no tracker for AirOps batch ${JSON.stringify(batchId)} (workflow ${workflowId} not found)`, options);
  }
}

/**
 * A query got no answer in time: usually no worker polls the tracker's task queue (queries, even on closed
 * workflows, are answered by a worker replaying the history).
 */
export class TrackerQueryTimeoutError extends AirOpsClientError {
  override readonly name = 'TrackerQueryTimeoutError' as const;
  constructor(
    readonly workflowId: string,
    readonly timeoutMs: number,
    options?: { cause?: unknown },
  ) {
    super(
      `no answer to the progress query of ${workflowId} within ${timeoutMs} ms: is a worker running on its task queue?`,
      options,
    );
  }
}

/** A `listAirOpsBatches` filter value that cannot go into a visibility query. */
export class InvalidListFilterError extends AirOpsClientError {
  override readonly name = 'InvalidListFilterError' as const;
}

/**
 * The namespace lacks the custom search attributes the tracker sets (or has one of them with another type), so a
 * tracker started there could not run: the server refuses the start, or fails every workflow task that upserts one.
 * `missing` and `wrongType` name them; `message` is one line that includes the `temporal operator
 * search-attribute create` command registering the missing ones.
 */
export class MissingSearchAttributesError extends AirOpsClientError {
  override readonly name = 'MissingSearchAttributesError' as const;
  constructor(
    readonly namespace: string,
    /** Missing attributes with the type the tracker needs, as the `temporal` CLI names it (`Int`). */
    readonly missing: { name: string; type: string }[],
    /** Attributes registered with another type than the tracker needs. */
    readonly wrongType: { name: string; expected: string; actual: string }[],
    message: string,
  ) {
    super(message);
  }
}

/** The gRPC status code of a Temporal client error (or its cause), if any. */
export function grpcCodeOf(err: unknown): number | null {
  for (let e: unknown = err, depth = 0; e !== null && typeof e === 'object' && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'number') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return null;
}

/** True when Temporal itself could not be reached (connection refused, DNS, TLS, deadline on connect). */
export function isTemporalUnavailable(err: unknown): boolean {
  const code = grpcCodeOf(err);
  if (code === GRPC_STATUS.UNAVAILABLE) return true;
  const text = err instanceof Error ? `${err.name} ${err.message}` : '';
  return /Failed to connect before the deadline|TransportError|ECONNREFUSED|ENOTFOUND|UNAVAILABLE/.test(text);
}

/** Maps "workflow not found" to TrackerNotFoundError; anything else passes through unchanged. */
export function mapNotFound(err: unknown, batchId: string, workflowId: string): unknown {
  if (err instanceof WorkflowNotFoundError || grpcCodeOf(err) === GRPC_STATUS.NOT_FOUND) {
    return new TrackerNotFoundError(batchId, workflowId, { cause: err });
  }
  return err;
}
