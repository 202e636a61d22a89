/** Polls `fn` until it is true or `ms` pass; for recovery checks after a dependency comes back. */
export async function eventually(fn: () => Promise<boolean>, ms = 10_000) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await fn()) return true;
    await new Promise((r) => setTimeout(r, 200));
  }
  return false;
}
