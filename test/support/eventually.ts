/** Retries `check` until it stops throwing, then returns its value; fails with its last error. */
export async function eventually<T>(check: () => Promise<T> | T, options: { timeoutMs?: number; intervalMs?: number; what?: string } = {}): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 20_000);
  let last: unknown;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${options.what ?? 'a condition'}: ${(last as Error)?.message ?? last}`);
    }
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 100));
  }
}
