/** Test helpers shared by the verifier's specs and its e2e suite. */

/** 'accepted', or the error code a verification was rejected with. */
export function outcome(promise: Promise<unknown>): Promise<string> {
  return promise.then(
    () => 'accepted',
    (error: unknown) => (error as { code?: string } | undefined)?.code ?? String(error),
  );
}

/** Polls until `check` holds; returns how long that took (throws after `ms`). */
export async function within(ms: number, check: () => Promise<boolean> | boolean, intervalMs = 5): Promise<number> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > ms) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  return Date.now() - started;
}
