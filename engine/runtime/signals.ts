// Signal names and numbers as Docker's API takes them.
import { constants as osConstants } from 'node:os';
import { wharfError } from '../errors.js';

/** Signal name or number -> number, accepting "TERM", "SIGTERM", "15". */
export function signalNumber(sig: string | number): number {
  if (typeof sig === 'number') return sig;
  if (/^\d+$/.test(sig)) return Number(sig);
  const name = sig.toUpperCase().startsWith('SIG') ? sig.toUpperCase() : `SIG${sig.toUpperCase()}`;
  const n = (osConstants.signals as Record<string, number>)[name];
  if (n === undefined) throw wharfError('INVALID_ARGUMENT', `invalid signal: ${sig}`);
  return n;
}

/** A frozen process only acts on these once thawed, so they unpause the container (as in Docker). */
export function thawsPaused(num: number): boolean {
  return num === osConstants.signals.SIGKILL || num === osConstants.signals.SIGTERM;
}
