// E2E harness: a real `wharf serve` (engine/api/testing.ts's fixture, with a
// busybox image in its store: the engine serving its Docker API socket plus
// the web UI on 127.0.0.1, whose printed URL carries the token), and Debian's
// Chromium driven by playwright-core with a fresh profile. teardown() saves a screenshot (and the page's console) under
// test-results/, then removes every container, the daemon and the profile.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import {
  skipReason as engineSkipReason,
  startTestDaemon,
  uniqueName,
  type TestDaemon,
} from '../../engine/api/testing.js';

export const REPO = resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const RESULTS = join(REPO, 'test-results');
export const CHROMIUM = process.env.WHARF_CHROMIUM ?? '/usr/bin/chromium';
const DIST = join(REPO, 'app/renderer/dist/index.html');

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export function skipReason(): string | undefined {
  const r = engineSkipReason();
  if (r) return r;
  if (!existsSync(CHROMIUM)) return `needs Chromium at ${CHROMIUM} (apt-get install chromium)`;
  return undefined;
}

/** Builds the renderer when app/renderer/dist is missing (CI builds it first). */
export function ensureUiBuilt(): void {
  if (existsSync(DIST)) return;
  const r = spawnSync('npm', ['run', 'build:ui'], { cwd: REPO, stdio: 'inherit' });
  if (r.status !== 0) throw new Error('npm run build:ui failed');
}

export interface Harness {
  /** The `wharf serve` process: its API socket, docker CLI, logs; `uiUrl` is the UI. */
  daemon: TestDaemon;
  context: BrowserContext;
  page: Page;
  consoleLines: string[];
  /** Names of containers this test made (removed in teardown regardless). */
  name(prefix?: string): string;
  shot(name: string): Promise<string>;
  /** Docker API through the daemon's socket. */
  api<T = unknown>(method: string, path: string, body?: unknown): Promise<{ status: number; json: T }>;
  teardown(testName: string, failed: boolean): Promise<void>;
}

export async function startHarness(opts: { colorScheme?: 'light' | 'dark' } = {}): Promise<Harness> {
  ensureUiBuilt();
  mkdirSync(RESULTS, { recursive: true });
  const daemon = await startTestDaemon('e2e', { serve: true });
  let context: BrowserContext | undefined;
  const profile = mkdtempSync(join(tmpdir(), 'wharf-e2e-profile-'));
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      args: CHROMIUM_ARGS,
      headless: true,
      viewport: { width: 1360, height: 860 },
      colorScheme: opts.colorScheme ?? 'light',
      deviceScaleFactor: 1,
    });
    const page = context.pages()[0] ?? (await context.newPage());
    const consoleLines: string[] = [];
    page.on('console', (m) => consoleLines.push(`${m.type()}: ${m.text()}`));
    page.on('pageerror', (e) => consoleLines.push(`pageerror: ${e.message}`));
    await page.goto(daemon.uiUrl);
    await page.waitForSelector('.engine-status .dot.ok', { timeout: 15_000 });
    const h: Harness = {
      daemon,
      context,
      page,
      consoleLines,
      name: (prefix = 'e2e') => uniqueName(prefix),
      async shot(name) {
        const file = join(RESULTS, `${name}.png`);
        await page.screenshot({ path: file });
        return file;
      },
      async api<T>(method: string, path: string, body?: unknown) {
        const r = await daemon.http(
          method,
          path,
          body === undefined ? undefined : JSON.stringify(body),
          body === undefined ? {} : { 'content-type': 'application/json' },
        );
        let json: unknown = undefined;
        try {
          json = r.body ? JSON.parse(r.body) : undefined;
        } catch {
          json = r.body;
        }
        return { status: r.status, json: json as T };
      },
      async teardown(testName, failed) {
        const safe = testName.replace(/[^a-z0-9]+/gi, '-').toLowerCase();
        try {
          if (failed) {
            await page.screenshot({ path: join(RESULTS, `FAILED-${safe}.png`) }).catch(() => {});
            writeFileSync(join(RESULTS, `FAILED-${safe}.console.txt`), consoleLines.join('\n'));
            writeFileSync(join(RESULTS, `FAILED-${safe}.daemon.txt`), daemon.logs());
          }
        } finally {
          await context?.close().catch(() => {});
          await daemon.cleanup();
          rmSync(profile, { recursive: true, force: true });
        }
      },
    };
    return h;
  } catch (err) {
    await context?.close().catch(() => {});
    await daemon.cleanup();
    rmSync(profile, { recursive: true, force: true });
    throw err;
  }
}

/** Reads a cgroup v1 file of a wharf container (controller: memory, cpu, pids). */
export function cgroupFile(controller: string, id: string, file: string): string | undefined {
  for (const dir of controller === 'cpu' ? ['cpu', 'cpu,cpuacct'] : [controller]) {
    const p = join('/sys/fs/cgroup', dir, 'wharf', id, file);
    if (existsSync(p)) {
      const r = spawnSync('cat', [p], { encoding: 'utf8' });
      return r.stdout.trim();
    }
  }
  return undefined;
}

export async function waitFor<T>(
  fn: () => Promise<T | undefined> | T | undefined,
  what: string,
  ms = 15_000,
): Promise<T> {
  const end = Date.now() + ms;
  let last: unknown;
  while (Date.now() < end) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}
