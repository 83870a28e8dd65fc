// bench/ui (issue 5, "Speed"): in Debian's Chromium against the web UI and a
// real `wharf daemon` holding N containers (default 1,000; WHARF_BENCH_CONTAINERS):
//   - time from opening the Containers view to the first rendered row
//     (cold: page load + snapshot; warm: switching back to the view),
//   - frame times while scrolling the list,
//   - the renderer's JS heap,
//   - time from clicking Run to the container showing Running.
// Targets: first rows < 300 ms, scrolling at 60 fps, Run to Running < 500 ms.
// Usage: npx tsx bench/ui/ui.ts   (root; same needs as the e2e tests)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { startTestDaemon, uniqueName } from '../../engine/api/testing.js';
import { startWebUi } from '../../app/web/server.js';
import { CHROMIUM, CHROMIUM_ARGS, ensureUiBuilt, skipReason } from '../../e2e/utils/harness.js';

const N = Number(process.env.WHARF_BENCH_CONTAINERS ?? 1000);

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
}

async function main(): Promise<void> {
  const reason = skipReason();
  if (reason) {
    console.log(`bench/ui skipped: ${reason}`);
    return;
  }
  ensureUiBuilt();
  const daemon = await startTestDaemon('bench-ui');
  const profile = mkdtempSync(join(tmpdir(), 'wharf-bench-ui-'));
  const ui = await startWebUi({ dockerSocket: daemon.socket });
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    args: CHROMIUM_ARGS,
    headless: true,
    viewport: { width: 1360, height: 860 },
  });
  try {
    const t0 = Date.now();
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < N) {
        const i = next++;
        const r = await daemon.http(
          'POST',
          `/containers/create?name=bench-${String(i).padStart(4, '0')}-${uniqueName('c')}`,
          JSON.stringify({
            Image: 'busybox:latest',
            Cmd: ['true'],
            Labels: i % 3 === 0 ? { 'com.docker.compose.project': `proj${i % 7}` } : {},
          }),
          { 'content-type': 'application/json' },
        );
        if (r.status !== 201) throw new Error(`create failed: ${r.status} ${r.body}`);
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    console.log(`created ${N} containers in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

    const list0 = Date.now();
    await daemon.http('GET', '/containers/json?all=1');
    const listApi = Date.now() - list0;

    const page = browser.pages()[0] ?? (await browser.newPage());
    // Records when the first row appears, on the page's own clock, for the breakdown below.
    await page.addInitScript(`new MutationObserver((_, o) => {
      if (document.querySelector('[data-testid=container-row]')) {
        window.__firstRow = performance.now();
        o.disconnect();
      }
    }).observe(document, { childList: true, subtree: true })`);
    const cold0 = Date.now();
    await page.goto(ui.url, { waitUntil: 'commit' });
    await page.waitForSelector('[data-testid=container-row]');
    const cold = Date.now() - cold0;
    // Where the cold time went, from the page's navigation and resource timings (ms since navigation start).
    const breakdown = (await page.evaluate(`(() => {
      const r = (x) => Math.round(x);
      const out = [];
      const nav = performance.getEntriesByType('navigation')[0];
      if (nav) out.push(['document', r(nav.startTime), r(nav.responseEnd)]);
      for (const e of performance.getEntriesByType('resource')) {
        const name = e.name.replace(/^.*\\//, '');
        out.push([name, r(e.startTime), r(e.responseEnd)]);
      }
      if (nav) out.push(['DOMContentLoaded', r(nav.domContentLoadedEventEnd), r(nav.domContentLoadedEventEnd)]);
      out.push(['first row', r(window.__firstRow), r(window.__firstRow)]);
      return out;
    })()`)) as [string, number, number][];

    await page.click('[data-nav=settings]');
    // In-page scripts are strings: this file is type-checked without DOM types.
    const warm = (await page.evaluate(`(async () => {
      const start = performance.now();
      document.querySelector('[data-nav=containers]').click();
      await new Promise((res) => {
        const check = () => (document.querySelector('[data-testid=container-row]') ? res() : requestAnimationFrame(check));
        check();
      });
      return performance.now() - start;
    })()`)) as number;

    const frames = (await page.evaluate(`(async () => {
      const list = document.querySelector('[data-testid=container-list]');
      const deltas = [];
      let last = performance.now();
      const end = last + 4000;
      await new Promise((res) => {
        const step = (now) => {
          deltas.push(now - last);
          last = now;
          list.scrollTop += 90;
          if (list.scrollTop + list.clientHeight >= list.scrollHeight - 1) list.scrollTop = 0;
          if (now < end) requestAnimationFrame(step);
          else res();
        };
        requestAnimationFrame(step);
      });
      return deltas.slice(1);
    })()`)) as number[];

    const cdp = await browser.newCDPSession(page);
    await cdp.send('Performance.enable');
    // Live objects only: the scroll test leaves unmounted rows for the collector.
    await cdp.send('HeapProfiler.collectGarbage');
    const metrics = (await cdp.send('Performance.getMetrics')) as {
      metrics: { name: string; value: number }[];
    };
    const heap = metrics.metrics.find((m) => m.name === 'JSHeapUsedSize')?.value ?? NaN;
    const domNodes = metrics.metrics.find((m) => m.name === 'Nodes')?.value ?? NaN;

    await page.click('[data-testid=open-run]');
    await page.fill('input[name=image]', 'busybox:latest');
    await page.fill('input[name=command]', 'sleep 3600');
    // Also on the page's own clock: from the click event to the badge in the DOM
    // (without Playwright's actionability checks and polling).
    await page.evaluate(`(() => {
      const o = new MutationObserver(() => {
        if (document.querySelector('.detail .badge-running')) {
          window.__running = performance.now();
          o.disconnect();
        }
      });
      o.observe(document, { childList: true, subtree: true, attributes: true });
      document.querySelector('[data-testid=run-submit]').addEventListener(
        'click', () => { window.__clicked = performance.now(); }, { capture: true });
    })()`);
    const run0 = Date.now();
    await page.click('[data-testid=run-submit]');
    await page.waitForSelector('.detail .badge-running', { timeout: 30_000 });
    const runToRunning = Date.now() - run0;
    const runInPage = (await page.evaluate('window.__running - window.__clicked')) as number;

    // The engine's share of Run -> Running: the same create + start through the API.
    const api0 = Date.now();
    const made = await daemon.http(
      'POST',
      `/containers/create?name=${uniqueName('bench-api')}`,
      JSON.stringify({ Image: 'busybox:latest', Cmd: ['sleep', '3600'] }),
      { 'content-type': 'application/json' },
    );
    const madeId = (JSON.parse(made.body) as { Id: string }).Id;
    await daemon.http('POST', `/containers/${madeId}/start`);
    const apiRun = Date.now() - api0;

    const fps = 1000 / (frames.reduce((a, b) => a + b, 0) / frames.length);
    const rows = [
      ['containers', String(N), ''],
      ['first row, cold (load + snapshot)', `${cold} ms`, 'target < 300 ms'],
      ['  in page: navigation start -> row', `${breakdown.at(-1)?.[1] ?? NaN} ms`, ''],
      ['  engine alone: GET /containers/json', `${listApi} ms`, ''],
      ['first row, opening the view', `${warm.toFixed(1)} ms`, 'target < 300 ms'],
      [
        'scroll frame time p50 / p95 / max',
        `${pct(frames, 50).toFixed(1)} / ${pct(frames, 95).toFixed(1)} / ${Math.max(...frames).toFixed(1)} ms`,
        '',
      ],
      ['scroll fps (mean)', fps.toFixed(1), 'target 60'],
      ['renderer JS heap', `${(heap / 1048576).toFixed(1)} MB`, ''],
      ['DOM nodes (after GC)', String(domNodes), ''],
      ['Run -> Running', `${runToRunning} ms`, 'target < 500 ms'],
      ['  in page: click -> Running badge', `${runInPage.toFixed(0)} ms`, ''],
      ['  engine alone: API create + start', `${apiRun} ms`, ''],
    ];
    for (const [k, v, t] of rows) console.log(`${k!.padEnd(36)} ${v!.padEnd(24)} ${t}`);
    console.log('\ncold load, ms from navigation start (start .. end):');
    for (const [name, a, b] of breakdown) console.log(`  ${name.slice(0, 40).padEnd(40)} ${a} .. ${b}`);
  } finally {
    await browser.close().catch(() => {});
    await ui.close();
    await daemon.cleanup();
    rmSync(profile, { recursive: true, force: true });
  }
}

await main();
