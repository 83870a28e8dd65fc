// Env-gated timing log for profiling the engine's hot paths: with
// WHARF_TRACE=1, trace() writes "<ms since start> <label>" to stderr.
// Costs one boolean test when off.
import { performance } from 'node:perf_hooks';

const enabled = process.env.WHARF_TRACE === '1';

export function trace(label: string): void {
  if (enabled) process.stderr.write(`trace ${performance.now().toFixed(1)} ${label}\n`);
}
