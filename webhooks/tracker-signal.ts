// The Temporal side of the receiver: signalWithStart of a batch's tracker with the normalized event, the readiness
// probe, and the deadline both are held to. Every call is tracked until it settles, so shutdown can wait for it
// before the connection is closed under it.
import type { Client } from '@temporalio/client';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { WebhookPayload } from '../olostep/schemas';
import {
  DEFAULT_TASK_QUEUE,
  TRACK_WORKFLOW_TYPE,
  airopsEvent,
  trackerStartOptions,
  type AirOpsEvent,
  type TrackOptions,
} from '../workflows/contract';
import type { trackAirOpsBatch as trackWorkflow } from '../workflows/track-airops-batch';
import { trackerEvent } from './payload';

/** What signaling a tracker came to: `tracker_closed` when it had already completed (a late event). */
export type SignalOutcome = 'signaled' | 'tracker_closed';

export interface TrackerSignalerOptions {
  client: Client;
  /** Default `airops-batches`. */
  taskQueue?: string | undefined;
  /** Options of a tracker the receiver starts. Default `{}`. */
  trackOptions?: TrackOptions | undefined;
  /** Deadline of one signalWithStart. */
  signalTimeoutMs: number;
  /** Deadline of the readiness probe. */
  readinessTimeoutMs: number;
}

/** Counters the signaler keeps up to date (the receiver's stats object). */
export interface SignalCounters {
  signaled: number;
  trackerClosed: number;
  inFlight: number;
}

export class TrackerSignaler {
  /** Temporal calls not yet settled, including ones we stopped waiting for. */
  private readonly pending = new Set<Promise<unknown>>();
  private readonly client: Client;
  private readonly taskQueue: string;
  private readonly trackOptions: TrackOptions;

  constructor(
    private readonly opts: TrackerSignalerOptions,
    private readonly counters: SignalCounters,
  ) {
    this.client = opts.client;
    this.taskQueue = opts.taskQueue ?? DEFAULT_TASK_QUEUE;
    this.trackOptions = opts.trackOptions ?? {};
  }

  /**
   * signalWithStart of the batch's tracker with the payload normalized (`airopsEvent(snapshot)`), within the
   * deadline. Starts the tracker when none runs; a tracker that completed saw a terminal status, which is final, so
   * a late event does not start a second one (`tracker_closed`). A failed, cancelled or timed-out one may be
   * restarted by the next event.
   * @throws any Temporal error (unreachable, deadline, refused)
   */
  async signal(payload: WebhookPayload): Promise<SignalOutcome> {
    const id = payload.id;
    const event: AirOpsEvent = trackerEvent(payload);
    this.counters.inFlight++;
    try {
      await this.withinDeadline(this.opts.signalTimeoutMs, () =>
        this.client.workflow.signalWithStart<typeof trackWorkflow, [AirOpsEvent]>(TRACK_WORKFLOW_TYPE, {
          ...trackerStartOptions(id, 'a webhook event'),
          taskQueue: this.taskQueue,
          args: [id, this.trackOptions],
          signal: airopsEvent,
          signalArgs: [event],
          workflowIdConflictPolicy: 'USE_EXISTING',
          workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
        }),
      );
      this.counters.signaled++;
      return 'signaled';
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      this.counters.trackerClosed++;
      return 'tracker_closed';
    } finally {
      this.counters.inFlight--;
    }
  }

  /** Whether Temporal answers `GetSystemInfo` within the readiness deadline; rejects with the error when not. */
  async probe(): Promise<void> {
    await this.withinDeadline(this.opts.readinessTimeoutMs, () => this.client.workflowService.getSystemInfo({}));
  }

  /** Resolves once every Temporal call started here has settled. */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.pending]);
  }

  /**
   * Runs a Temporal call with a deadline, and answers no later than it: the SDK's retry loop may sleep well past a
   * gRPC deadline, so a timer bounds the wait. The call itself is bounded by the same deadline and ends shortly
   * after; `pending` tracks it until it does.
   */
  private async withinDeadline<T>(ms: number, call: () => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer from Temporal within ${ms} ms`)), ms);
    });
    const running = this.client.withDeadline(Date.now() + ms, call);
    const settled: Promise<unknown> = running.then(
      (): unknown => this.pending.delete(settled),
      (): unknown => this.pending.delete(settled),
    );
    this.pending.add(settled);
    try {
      return await Promise.race([running, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}
