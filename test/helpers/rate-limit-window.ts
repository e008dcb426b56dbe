/**
 * The limits count in fixed windows that start at multiples of their length (auth/rate-limiter.ts):
 * a test that counts up to a limit must not straddle a window's start, or its count begins again.
 */
export async function clearOfWindowStart(windowSeconds = 900, neededSeconds = 15) {
  const left = windowSeconds * 1000 - (Date.now() % (windowSeconds * 1000));
  if (left < neededSeconds * 1000) await new Promise((resolve) => setTimeout(resolve, left + 100));
}
