// Baseline (d): what Olostep's SDK helper does in-process: call GET /v1/batches-airops/{id} every 10 s until the
// batch is terminal. Plain code, no Temporal: nothing survives a restart. `wait` is injected so the benchmark runs
// it on the simulator's manual clock (virtual time = production time); production code would pass setTimeout.
import type { OlostepClient } from '../../olostep/client';

export const SDK_POLL_INTERVAL_MS = 10_000;

export async function pollEvery10s(
  client: Pick<OlostepClient, 'getBatchStatus'>,
  batchId: string,
  wait: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
): Promise<{ status: string; polls: number }> {
  for (let polls = 1; ; polls++) {
    const { snapshot } = await client.getBatchStatus(batchId);
    if (snapshot.overall === 'completed' || snapshot.overall === 'failed') return { status: snapshot.overall, polls };
    await wait(SDK_POLL_INTERVAL_MS);
  }
}
