// The Temporal Web UI of the embedded dev server, driven by headless Chromium (Debian's package, installed by
// scripts/install-system-deps.sh): find a tracked batch through its search attribute (the workflow list with the
// query AirOpsBatchId="…"), open it, and check the page shows the tracker's static summary and details, and the
// current-details phase table the workflow keeps up to date. Screenshots go to .scratch/ui/ (not committed).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Frame, type Page } from 'playwright-core';
import { getAirOpsBatchProgress } from '../../client/progress';
import { SLOW, eventually, startStack, type Stack } from '../client/stack';
import { freePort } from '../../kit/reliability/processes';
import { replayNet } from '../../kit/helpers/replay-net';

replayNet(__filename);

const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOTS = resolve(__dirname, '..', '..', '.scratch', 'ui');
// As root in a closed network: no sandbox, and no background connections to Google's services.
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

/** The text of the first rendered-markdown frame (the UI renders markdown in iframes) matching `test`. */
async function frameText(
  page: Page,
  test: (text: string) => boolean,
  what: string,
): Promise<{ frame: Frame; text: string }> {
  return eventually(
    async () => {
      for (const frame of page.frames()) {
        if (!frame.url().includes('/render?')) continue;
        const text = await frame
          .locator('body')
          .innerText({ timeout: 2_000 })
          .catch(() => '');
        if (test(text)) return { frame, text };
      }
      return undefined;
    },
    15_000,
    what,
  );
}

describe('Temporal UI (headless Chromium against the dev server)', () => {
  let stack: Stack;
  let browser: Browser;
  let uiUrl: string;

  before(async () => {
    assert.ok(
      existsSync(CHROMIUM),
      `${CHROMIUM} is missing: run \`bash scripts/install-system-deps.sh\` (installs Debian's chromium)`,
    );
    const uiPort = await freePort();
    stack = await startStack({ uiPort });
    uiUrl = `http://127.0.0.1:${uiPort}`;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    mkdirSync(SCREENSHOTS, { recursive: true });
  });
  after(async () => {
    await browser?.close();
    await stack?.teardown();
  });

  it('finds the tracker by AirOpsBatchId and shows its summary, details and the current phase table', async (t) => {
    const batchId = await stack.createAndTrack(SLOW, 20);
    const workflowId = `airops-batch-${batchId}`;
    await eventually(async () => {
      const p = await getAirOpsBatchProgress(stack.env.client, batchId);
      return p.overall === 'in_progress' && (p.phases.scraping.done ?? 0) > 0 ? p : undefined;
    });

    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    try {
      // 1. The workflow list, filtered through the custom search attribute (visibility is eventually consistent).
      const query = encodeURIComponent(`AirOpsBatchId="${batchId}"`);
      const link = page.locator(`a[href*="/workflows/${workflowId}/"]`).first();
      await eventually(
        async () => {
          await page.goto(`${uiUrl}/namespaces/default/workflows?query=${query}`);
          await link.waitFor({ timeout: 5_000 });
          return true;
        },
        20_000,
        'the tracker in the UI list',
      );
      const hrefs = await Promise.all(
        (await page.locator('a[href*="/workflows/airops-batch-"]').all()).map((a) => a.getAttribute('href')),
      );
      const rows = [...new Set(hrefs.map((h) => h?.split('/')[4]))];
      assert.deepEqual(rows, [workflowId], 'the query matches exactly this tracker');
      await page.screenshot({ path: join(SCREENSHOTS, 'list.png') });

      // 2. The workflow page: its id, type and task queue.
      await link.click();
      await page.getByRole('heading', { name: workflowId }).waitFor({ timeout: 10_000 });
      await page.getByText('trackAirOpsBatch').first().waitFor();
      await page.getByText(stack.taskQueue).first().waitFor();

      // 3. User Metadata: the static summary and details (set at start), and the current details (set by the workflow).
      await page.getByText('User Metadata', { exact: true }).first().click();
      await page.getByText('Current Details', { exact: true }).first().waitFor({ timeout: 10_000 });
      const summary = await frameText(page, (s) => s.trim() === `AirOps batch ${batchId}`, 'the static summary');
      assert.equal(summary.text.trim(), `AirOps batch ${batchId}`);
      await frameText(page, (s) => s.startsWith(`Tracks Olostep AirOps batch ${batchId}`), 'the static details');
      const details = await frameText(page, (s) => s.startsWith(`Batch ${batchId}`), 'the current details');
      assert.match(details.text, new RegExp(`^Batch ${batchId} · in_progress · [\\d.]+% · ETA `));
      const table = details.frame.locator('table');
      const header = await table.locator('th').allInnerTexts();
      assert.deepEqual(
        header.map((h) => h.trim()),
        ['phase', 'state', 'done / total', 'progress'],
      );
      const cells: string[][] = [];
      for (const row of await table.locator('tbody tr').all()) {
        cells.push((await row.locator('td').allInnerTexts()).map((c) => c.trim()));
      }
      assert.deepEqual(
        cells.map((r) => r[0]),
        ['scraping', 'analyzing', 'enriching'],
      );
      const scraping = cells[0]!;
      assert.equal(scraping[1], 'started');
      assert.match(scraping[2] ?? '', /^\d+ \/ 20$/);
      assert.match(scraping[3] ?? '', /^\d+%$/);
      assert.deepEqual(cells[2]!.slice(0, 2), ['enriching', 'pending']);
      await page.screenshot({ path: join(SCREENSHOTS, 'workflow-user-metadata.png') });
      t.diagnostic(`screenshots in ${SCREENSHOTS}`);
    } finally {
      await page.close();
      await stack.env.client.workflow.getHandle(workflowId).cancel();
    }
  });
});
