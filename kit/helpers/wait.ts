// Waiting for a condition in tests, with no Temporal import (a suite that installs its own Runtime can use it).

/** Polls `fn` until it returns a value that is not undefined (or throws after `timeoutMs`). */
export async function eventually<T>(
  fn: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 20_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}${lastError instanceof Error ? `: ${lastError.message}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}
