// `wharf serve`: the engine of `wharf daemon` (same composition, same API
// socket, so the docker CLI sees what the UI shows) plus the renderer over
// HTTP on 127.0.0.1 (server.ts). Prints the UI's URL with its token on
// stdout; SIGTERM/SIGINT stop both and leave the containers running.
//
// engine/cli.ts imports this lazily, so `wharf daemon` never loads the UI.
import { makeLogger, startDaemon, type RunningDaemon } from '../../engine/daemon/daemon.js';
import type { DaemonOptions } from '../../engine/daemon/index.js';
import { startWebUi, type WebUi } from './server.js';

export interface ServeOptions extends DaemonOptions {
  /** TCP port of the UI on 127.0.0.1; 0 or undefined: a free port. */
  port?: number;
  /** Built renderer; default app/renderer/dist. */
  staticDir?: string;
}

export interface RunningServe {
  daemon: RunningDaemon;
  ui: WebUi;
  close(): Promise<void>;
}

export async function startServe(opts: ServeOptions): Promise<RunningServe> {
  const log = makeLogger(opts.logLevel);
  const daemon = await startDaemon(opts);
  // The UI drives the engine through its own Docker API socket, like any client.
  const socket = daemon.sockets[0];
  if (!socket) {
    await daemon.close();
    throw new Error('wharf serve needs a unix:// host (-H) for the UI to reach the engine');
  }
  let ui: WebUi;
  try {
    ui = await startWebUi({
      dockerSocket: socket,
      host: '127.0.0.1',
      port: opts.port ?? 0,
      ...(opts.staticDir ? { staticDir: opts.staticDir } : {}),
      log: (msg) => log('debug', `ui: ${msg}`),
    });
  } catch (err) {
    await daemon.close();
    throw new Error(`web UI on 127.0.0.1:${opts.port ?? 0}: ${(err as Error).message}`);
  }
  let closing: Promise<void> | undefined;
  return {
    daemon,
    ui,
    close: () =>
      (closing ??= (async () => {
        await ui.close().catch((err: unknown) => log('warn', `closing the web UI: ${String(err)}`));
        await daemon.close();
      })()),
  };
}

/** Runs until SIGTERM/SIGINT, then shuts down leaving containers running. */
export async function runServe(opts: ServeOptions): Promise<void> {
  const log = makeLogger(opts.logLevel);
  // As `wharf daemon`: one bad request must never take the engine down.
  process.on('unhandledRejection', (err) =>
    log('error', `unhandled rejection: ${(err as Error)?.stack ?? String(err)}`),
  );
  process.on('uncaughtException', (err) => log('error', `uncaught exception: ${err.stack ?? String(err)}`));
  const s = await startServe(opts);
  process.stdout.write(`Wharf UI: ${s.ui.url}\n`);
  log('info', `web UI on ${new URL(s.ui.url).origin} (open the printed URL: it carries the token)`);
  await new Promise<void>((resolve) => {
    const stop = (sig: string): void => {
      log('info', `received ${sig}, shutting down (containers keep running)`);
      resolve();
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  await s.close();
}
