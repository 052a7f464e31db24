// The reference lifecycle every benchmark measures against: 100 URLs; scraping 300 s, analyzing 2 s, enriching
// 1,295 s (after the 3 s enrichment submit). These are also the simulator's defaults; spelled out so they stay put.
import type { BatchScript } from '../../simulator/server';

export const REFERENCE_URLS = 100;

export const REFERENCE_SCRIPT: BatchScript = {
  scenario: 'happy',
  durations: { scrapingMs: 300_000, analyzingMs: 2_000, enrichSubmitMs: 3_000, enrichingMs: 1_295_000 },
};

/** A 24-hour enrichment, otherwise the reference lifecycle. */
export const DAY_LONG_SCRIPT: BatchScript = {
  ...REFERENCE_SCRIPT,
  durations: { ...REFERENCE_SCRIPT.durations, enrichingMs: 24 * 3_600_000 },
};
