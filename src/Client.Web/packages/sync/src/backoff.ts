/** Exponential backoff with full jitter: attempt 0 waits up to `base`, each later one doubles, capped at `max`. */
export function backoffDelay(attempt: number, base = 1000, max = 30_000, random: () => number = Math.random): number {
  const ceiling = Math.min(max, base * 2 ** Math.max(0, attempt));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
