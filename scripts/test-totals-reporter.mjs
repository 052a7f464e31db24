// A node:test reporter for scripts/run-tests.mjs: writes the run's totals as one JSON object, from which the runner
// prints its closing `tests: N passed, N failed` line. Counted as failed: every test that failed or timed out, and
// every suite or file whose own hook failed (node's `# fail` leaves those out: a suite's `after` hook that throws,
// e.g. the replay net's, fails the run but counts no test). Tests cancelled because their suite's hook failed are not
// counted again.
export default async function* totalsReporter(source) {
  let passed = 0;
  let skipped = 0;
  let todo = 0;
  const failed = [];
  for await (const event of source) {
    if (event.type === 'test:pass') {
      if (event.data.details?.type === 'suite') continue;
      if (event.data.skip) skipped++;
      else if (event.data.todo) todo++;
      else passed++;
    } else if (event.type === 'test:fail') {
      const details = event.data.details ?? {};
      const failureType = details.error?.failureType;
      if (failureType === 'cancelledByParent') continue;
      if (details.type === 'suite' && failureType !== 'hookFailed') continue; // its failing tests are counted
      if (event.data.todo) {
        todo++;
        continue;
      }
      failed.push({ name: event.data.name, file: event.data.file ?? null, failureType: failureType ?? null });
    }
  }
  yield `${JSON.stringify({ passed, failed: failed.length, skipped, todo, failures: failed })}\n`;
}
