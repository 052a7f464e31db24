// worker/workflow-task-slots.ts on its own: at most one non-sticky workflow-task slot at a time, one slot always left
// for the normal queue, waiting reservations served in order, aborted reservations (before or after the grant) never
// keep a slot, and a release counts once.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { SlotPermit, SlotReserveContext } from '@temporalio/worker';
import {
  NON_STICKY_WORKFLOW_TASK_SLOTS,
  WorkflowTaskSlots,
  trackerSlotOptions,
} from '../../worker/workflow-task-slots';

const ctx = (isSticky: boolean): SlotReserveContext => ({
  slotType: 'workflow',
  taskQueue: 'q',
  workerIdentity: 'w',
  workerBuildId: '',
  isSticky,
});
const STICKY = ctx(true);
const NORMAL = ctx(false);

/** Whether a promise settled within the current turn of the event loop (and how). */
async function state(p: Promise<unknown>): Promise<'pending' | 'granted' | 'rejected'> {
  const pending = Symbol('pending');
  const r = await Promise.race([
    p.then(
      () => 'granted' as const,
      () => 'rejected' as const,
    ),
    new Promise<typeof pending>((res) => setImmediate(() => res(pending))),
  ]);
  return r === pending ? 'pending' : r;
}

const release = (slots: WorkflowTaskSlots, permit: SlotPermit) => slots.releaseSlot({ permit });

describe('workflow-task slots: one non-sticky task at a time', () => {
  it('the normal queue gets one slot; the next waits until it is released, then gets it', async () => {
    assert.equal(NON_STICKY_WORKFLOW_TASK_SLOTS, 1);
    const slots = new WorkflowTaskSlots(10);
    const first = await slots.reserveSlot(NORMAL, new AbortController().signal);
    const second = slots.reserveSlot(NORMAL, new AbortController().signal);
    assert.equal(await state(second), 'pending');
    assert.equal(slots.tryReserveSlot(NORMAL), null, 'no eager non-sticky slot either');
    slots.markSlotUsed({
      permit: first,
      slotInfo: { type: 'workflow', workflowType: 'trackAirOpsBatch', isSticky: false },
    });
    release(slots, first);
    assert.equal(await state(second), 'granted');
    assert.deepEqual(slots.counts(), { sticky: 0, nonSticky: 1, waiting: 0 });
  });

  it('sticky tasks use every other slot, and can never take the one left for the normal queue', async () => {
    const slots = new WorkflowTaskSlots(4);
    const sticky = [];
    for (let i = 0; i < 3; i++) sticky.push(await slots.reserveSlot(STICKY, new AbortController().signal));
    const fourth = slots.reserveSlot(STICKY, new AbortController().signal);
    assert.equal(await state(fourth), 'pending');
    const normal = slots.reserveSlot(NORMAL, new AbortController().signal);
    assert.equal(await state(normal), 'granted', 'the normal queue still has its slot');
    release(slots, sticky[0]!);
    assert.equal(await state(fourth), 'granted');
    assert.deepEqual(slots.counts(), { sticky: 3, nonSticky: 1, waiting: 0 });
  });

  it('waiting reservations are served first come, first served', async () => {
    const slots = new WorkflowTaskSlots(2);
    const held = await slots.reserveSlot(NORMAL, new AbortController().signal);
    const order: number[] = [];
    const waits = [1, 2, 3].map((n) =>
      slots.reserveSlot(NORMAL, new AbortController().signal).then((p) => {
        order.push(n);
        return p;
      }),
    );
    let current = held;
    for (const w of waits) {
      release(slots, current);
      current = await w;
    }
    assert.deepEqual(order, [1, 2, 3]);
  });

  it('an aborted waiting reservation rejects with the abort reason and takes no slot', async () => {
    const slots = new WorkflowTaskSlots(2);
    const held = await slots.reserveSlot(NORMAL, new AbortController().signal);
    const ac = new AbortController();
    const waiting = slots.reserveSlot(NORMAL, ac.signal);
    ac.abort(new DOMException('no longer needed', 'AbortError'));
    await assert.rejects(waiting, { name: 'AbortError' });
    release(slots, held);
    assert.deepEqual(slots.counts(), { sticky: 0, nonSticky: 0, waiting: 0 });
    await assert.rejects(slots.reserveSlot(NORMAL, ac.signal), { name: 'AbortError' }, 'already aborted');
  });

  it('an abort after the grant (the permit never reached the worker) gives the slot back', async () => {
    const slots = new WorkflowTaskSlots(2);
    const ac = new AbortController();
    await slots.reserveSlot(NORMAL, ac.signal);
    const next = slots.reserveSlot(NORMAL, new AbortController().signal);
    assert.equal(await state(next), 'pending');
    ac.abort();
    assert.equal(await state(next), 'granted');
  });

  it('a permit released twice (or an unknown one) counts once', async () => {
    const slots = new WorkflowTaskSlots(3);
    const a = await slots.reserveSlot(STICKY, new AbortController().signal);
    await slots.reserveSlot(STICKY, new AbortController().signal);
    release(slots, a);
    release(slots, a);
    slots.releaseSlot({ permit: null as unknown as SlotPermit });
    assert.deepEqual(slots.counts(), { sticky: 1, nonSticky: 0, waiting: 0 });
  });

  it('needs at least two slots; the worker options keep the SDK defaults for everything else', () => {
    assert.throws(() => new WorkflowTaskSlots(1), RangeError);
    const o = trackerSlotOptions();
    assert.ok(o.tuner && 'workflowTaskSlotSupplier' in o.tuner);
    assert.equal((o.tuner.workflowTaskSlotSupplier as WorkflowTaskSlots).maxSlots, 40);
    assert.deepEqual(o.tuner.activityTaskSlotSupplier, { type: 'fixed-size', numSlots: 100 });
    assert.deepEqual(o.workflowTaskPollerBehavior, { type: 'simple-maximum', maximum: 10 });
    const small = trackerSlotOptions({
      maxConcurrentWorkflowTaskExecutions: 4,
      maxConcurrentActivityTaskExecutions: 3,
    });
    assert.deepEqual(small.workflowTaskPollerBehavior, { type: 'simple-maximum', maximum: 4 });
    assert.deepEqual(small.activityTaskPollerBehavior, { type: 'simple-maximum', maximum: 3 });
  });
});
