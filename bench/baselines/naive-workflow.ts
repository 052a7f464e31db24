// Baseline (c): the Temporal workflow a user writes first: call the status activity, sleep a fixed 5 s, repeat
// until the batch is terminal. Same activity as the tracker (fetchAirOpsBatchStatus), no adaptive schedule, no
// continue-as-new, the SDK's default activity retry policy. Deterministic workflow code, bundled on its own.
import { proxyActivities, sleep } from '@temporalio/workflow';
import type { Activities } from '../../activities';

const { fetchAirOpsBatchStatus } = proxyActivities<Activities>({ startToCloseTimeout: '45 s' });

export const NAIVE_POLL_INTERVAL_MS = 5_000;

export interface NaiveResult {
  status: string;
  polls: number;
}

export async function naivePollAirOpsBatch(batchId: string): Promise<NaiveResult> {
  for (let polls = 1; ; polls++) {
    const snapshot = await fetchAirOpsBatchStatus(batchId);
    if (snapshot.overall === 'completed' || snapshot.overall === 'failed') return { status: snapshot.overall, polls };
    await sleep(NAIVE_POLL_INTERVAL_MS);
  }
}
