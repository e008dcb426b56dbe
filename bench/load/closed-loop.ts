import { performance } from 'node:perf_hooks';

export interface Measurement {
  /** Completed operations per second. */
  rate: number;
  p50Ms: number;
  p99Ms: number;
  ops: number;
}

export interface ClosedLoopOptions {
  concurrency: number;
  seconds: number;
  /** Runs before measuring and is not counted: connections, JIT, caches. @default 1 */
  warmupSeconds?: number;
  /** One operation of worker `worker`; a rejection is a failed operation. */
  op: (worker: number) => Promise<unknown>;
  /** Called when the measured part begins (after the warm-up): server CPU is read from then on. */
  onMeasuring?: () => void;
}

/**
 * `concurrency` workers each run `op` back to back for `seconds` (a closed loop, like users who
 * start the next sign-in when the last one finished). Any failure aborts the measurement: a
 * benchmark of errors is not a benchmark.
 */
export async function runClosedLoop({ concurrency, seconds, warmupSeconds = 1, op, onMeasuring = () => {} }: ClosedLoopOptions): Promise<Measurement> {
  if (warmupSeconds > 0) await loop(concurrency, warmupSeconds, op);
  onMeasuring();
  const latencies = await loop(concurrency, seconds, op);
  latencies.sort((a, b) => a - b);
  return { rate: latencies.length / seconds, p50Ms: quantile(latencies, 0.5), p99Ms: quantile(latencies, 0.99), ops: latencies.length };
}

async function loop(concurrency: number, seconds: number, op: (worker: number) => Promise<unknown>): Promise<number[]> {
  const latencies: number[] = [];
  const deadline = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      while (performance.now() < deadline) {
        const started = performance.now();
        await op(worker);
        // An operation that ends after the deadline still counts: its work happened in the window.
        latencies.push(performance.now() - started);
      }
    }),
  );
  return latencies;
}

export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

export function median(values: readonly number[]): number {
  return quantile([...values].sort((a, b) => a - b), 0.5);
}
