// The renderer's one way out: the Electron preload's object when present,
// else the web client. Nothing else in the renderer talks to the outside.
import type { Bridge } from '../../../shared/ipc.js';
import { createWebBridge } from './web.js';

declare global {
  interface Window {
    wharf?: Bridge;
  }
}

/**
 * Outside a browser (the server renders the first page with these same
 * components, ssr.tsx) there is no bridge; nothing calls it there, as
 * effects do not run on the server.
 */
const noBridge: Bridge = {
  kind: 'web',
  invoke: () => Promise.reject(new Error('no bridge while rendering on the server')),
  on: () => () => {},
  open: () => {
    throw new Error('no bridge while rendering on the server');
  },
};

export const bridge: Bridge = typeof window === 'undefined' ? noBridge : (window.wharf ?? createWebBridge());

/** A message a person can read, from anything thrown by an invoke. */
export function errorText(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (typeof err === 'object' && err && 'message' in err)
    return String((err as { message: unknown }).message);
  return String(err);
}
