// The renderer's one way out: the Electron preload's object when present,
// else the web client. Nothing else in the renderer talks to the outside.
import type { Bridge } from '../../../shared/ipc.js';
import { createWebBridge } from './web.js';

declare global {
  interface Window {
    wharf?: Bridge;
  }
}

export const bridge: Bridge = window.wharf ?? createWebBridge();

/** A message a person can read, from anything thrown by an invoke. */
export function errorText(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (typeof err === 'object' && err && 'message' in err)
    return String((err as { message: unknown }).message);
  return String(err);
}
