// The tracker worker's workflow-task slots: a custom slot supplier that lets at most ONE task from the task queue's
// normal (non-sticky) queue be in the worker at a time; the other slots serve the sticky queue.
//
// Why. Every query on a closed tracker reaches a worker as a query-only workflow task on the normal queue (the server
// clears a workflow's sticky queue when it closes), and the worker answers it by replaying the history. The SDK's
// Core evicts a closed run from its cache as soon as it has nothing left to do: right after the run completes, and
// again after each burst of queries it answered. Tasks that arrive for a run while its eviction is in progress are
// buffered, and when the eviction ends Core applies the first buffered task and drops the others ("There were
// leftover buffered tasks when evicting run" in its log; `process_post_activation` in sdk-core's workflow_stream.rs,
// as shipped with @temporalio/core-bridge 1.24.0). A dropped query task is never answered: its caller waits until its
// deadline and gets "query timed out before a worker could process it". Several callers querying a tracker as it
// closes (a watcher that prints the result, then the timeline; a dashboard) meet that window, and the slower the
// worker's evictions (a loaded machine), the wider it is.
//
// With one non-sticky slot, a second task from the normal queue cannot be polled before the first one released its
// slot, so at most one task for a closed run is ever buffered, and it is the one Core applies: every query is answered
// (one after another, each replaying the history). Sticky tasks (running trackers in the cache, the steady state)
// keep the other slots and are not affected.
// Cost: the normal queue's tasks are processed one at a time: new trackers' first tasks, trackers replayed after a
// worker restart or a cache eviction, queries on closed or uncached trackers. A burst of them (many trackers started
// at once) takes longer to work through.
import type {
  CustomSlotSupplier,
  SlotMarkUsedContext,
  SlotPermit,
  SlotReleaseContext,
  SlotReserveContext,
  TunerHolder,
  WorkerOptions,
  WorkflowSlotInfo,
} from '@temporalio/worker';

/** Slots handed out for normal-queue (non-sticky) tasks at once. See the file comment: more re-opens the loss. */
export const NON_STICKY_WORKFLOW_TASK_SLOTS = 1;

/** The SDK's defaults for the slots of each kind of task (its `maxConcurrent…Executions` options). */
export const DEFAULT_WORKFLOW_TASK_SLOTS = 40;
export const DEFAULT_ACTIVITY_TASK_SLOTS = 100;
const DEFAULT_OTHER_TASK_SLOTS = 100;
/** The SDK's default maximum of pollers per kind of task (never more than the slots). */
const DEFAULT_MAX_POLLERS = 10;

export interface TrackerSlotOptions {
  /** Workflow tasks in the worker at once (default 40, the SDK's; at least 2), one of them at most non-sticky. */
  maxConcurrentWorkflowTaskExecutions?: number;
  /** Activity tasks in flight at once (default 100, the SDK's). */
  maxConcurrentActivityTaskExecutions?: number;
}

/**
 * The Worker options that set the tracker's slots: a `tuner` with {@link WorkflowTaskSlots} for workflow tasks and
 * the SDK's fixed-size defaults for the others, and the SDK's default pollers. Spread them into the options of a
 * worker that runs trackers (instead of `maxConcurrentWorkflowTaskExecutions` and
 * `maxConcurrentActivityTaskExecutions`, which cannot be combined with a tuner).
 */
export function trackerSlotOptions(
  opts: TrackerSlotOptions = {},
): Pick<WorkerOptions, 'tuner' | 'workflowTaskPollerBehavior' | 'activityTaskPollerBehavior'> {
  const workflowSlots = opts.maxConcurrentWorkflowTaskExecutions ?? DEFAULT_WORKFLOW_TASK_SLOTS;
  const activitySlots = opts.maxConcurrentActivityTaskExecutions ?? DEFAULT_ACTIVITY_TASK_SLOTS;
  const tuner: TunerHolder = {
    workflowTaskSlotSupplier: new WorkflowTaskSlots(workflowSlots),
    activityTaskSlotSupplier: { type: 'fixed-size', numSlots: activitySlots },
    localActivityTaskSlotSupplier: { type: 'fixed-size', numSlots: DEFAULT_OTHER_TASK_SLOTS },
    nexusTaskSlotSupplier: { type: 'fixed-size', numSlots: DEFAULT_OTHER_TASK_SLOTS },
  };
  return {
    tuner,
    workflowTaskPollerBehavior: { type: 'simple-maximum', maximum: Math.min(DEFAULT_MAX_POLLERS, workflowSlots) },
    activityTaskPollerBehavior: { type: 'simple-maximum', maximum: Math.min(DEFAULT_MAX_POLLERS, activitySlots) },
  };
}

interface Permit {
  readonly sticky: boolean;
  released: boolean;
}

interface Waiter {
  readonly sticky: boolean;
  readonly grant: (permit: Permit) => void;
}

/** Counts of the slots handed out and not released, for tests and diagnostics. */
export interface WorkflowTaskSlotCounts {
  sticky: number;
  nonSticky: number;
  waiting: number;
}

/**
 * A workflow-task slot supplier (`tuner.workflowTaskSlotSupplier`): `maxSlots` slots in all, of which at most
 * {@link NON_STICKY_WORKFLOW_TASK_SLOTS} for the normal queue and one always kept free for it (the sticky pollers can
 * never take every slot).
 */
export class WorkflowTaskSlots implements CustomSlotSupplier<WorkflowSlotInfo> {
  readonly type = 'custom';
  private sticky = 0;
  private nonSticky = 0;
  private readonly waiting: Waiter[] = [];

  constructor(readonly maxSlots: number = DEFAULT_WORKFLOW_TASK_SLOTS) {
    if (!Number.isSafeInteger(maxSlots) || maxSlots < 2) {
      throw new RangeError(`workflow-task slots: need at least 2 (one sticky, one non-sticky), got ${maxSlots}`);
    }
  }

  counts(): WorkflowTaskSlotCounts {
    return { sticky: this.sticky, nonSticky: this.nonSticky, waiting: this.waiting.length };
  }

  reserveSlot(ctx: SlotReserveContext, abortSignal: AbortSignal): Promise<SlotPermit> {
    if (abortSignal.aborted) return Promise.reject(abortSignal.reason as Error);
    return new Promise<SlotPermit>((resolve, reject) => {
      let granted: Permit | null = null;
      const waiter: Waiter = {
        sticky: ctx.isSticky,
        grant: (permit) => {
          granted = permit;
          resolve(permit);
        },
      };
      // Core aborts a reservation it no longer needs (fewer pollers, shutdown). An abort that comes after the grant
      // means the permit never reached Core (the SDK disarms the abort once it has the permit), so no release will
      // ever come for it: take it back here, or the normal queue's single slot would be gone for good.
      abortSignal.addEventListener(
        'abort',
        () => {
          if (granted !== null) {
            this.release(granted);
            return;
          }
          const i = this.waiting.indexOf(waiter);
          if (i >= 0) this.waiting.splice(i, 1);
          reject(abortSignal.reason as Error);
        },
        { once: true },
      );
      const permit = this.take(ctx.isSticky);
      if (permit) waiter.grant(permit);
      else this.waiting.push(waiter);
    });
  }

  tryReserveSlot(ctx: SlotReserveContext): SlotPermit | null {
    // Only asked for eager tasks, which must not wait: a slot if one is free, by the same rules.
    if (this.waiting.some((w) => w.sticky === ctx.isSticky)) return null;
    return this.take(ctx.isSticky);
  }

  markSlotUsed(_ctx: SlotMarkUsedContext<WorkflowSlotInfo>): void {
    // A used slot counts like a reserved one until it is released.
  }

  releaseSlot(ctx: SlotReleaseContext<WorkflowSlotInfo>): void {
    this.release(ctx.permit as Permit);
  }

  private release(permit: Permit | null | undefined): void {
    if (!permit || typeof permit !== 'object' || permit.released) return;
    permit.released = true;
    if (permit.sticky) this.sticky--;
    else this.nonSticky--;
    this.wake();
  }

  private take(sticky: boolean): Permit | null {
    if (
      sticky
        ? this.sticky >= this.maxSlots - NON_STICKY_WORKFLOW_TASK_SLOTS
        : this.nonSticky >= NON_STICKY_WORKFLOW_TASK_SLOTS
    ) {
      return null;
    }
    if (sticky) this.sticky++;
    else this.nonSticky++;
    return { sticky, released: false };
  }

  /** Hands freed slots to the longest-waiting reservations of the kind that has room. */
  private wake(): void {
    for (let i = 0; i < this.waiting.length;) {
      const w = this.waiting[i]!;
      const permit = this.take(w.sticky);
      if (permit) {
        this.waiting.splice(i, 1);
        w.grant(permit);
      } else i++;
    }
  }
}
