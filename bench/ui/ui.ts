// bench/ui (issue 5, "Speed"): in Debian's Chromium against the web UI and a
// real `wharf daemon` holding N containers (default 1,000; WHARF_BENCH_CONTAINERS):
//   - time from opening the Containers view to the first row painted on
//     screen (cold: navigation start of a page load in a fresh browser
//     context, several times; warm: switching back to the view), plus when
//     the rows became interactive (React's own rows in the DOM),
//   - frame times while scrolling the list,
//   - the renderer's JS heap,
//   - time from clicking Run to the container showing Running.
// Targets: first rows < 300 ms, scrolling at 60 fps, Run to Running < 500 ms.
// Usage: npx tsx bench/ui/ui.ts   (root; same needs as the e2e tests)
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { startTestDaemon, uniqueName } from '../../engine/api/testing.js';
import { startWebUi } from '../../app/web/server.js';
import { CHROMIUM, CHROMIUM_ARGS, ensureUiBuilt, skipReason } from '../../e2e/utils/harness.js';

const N = Number(process.env.WHARF_BENCH_CONTAINERS ?? 1000);
const COLD_RUNS = Number(process.env.WHARF_BENCH_COLD_RUNS ?? 5);

/** Marks, on the page's own clock, when the first row reaches the DOM, the screen, and React. */
const COLD_MARKS = `(() => {
  const m = (window.__wharf = {});
  new MutationObserver((_, o) => {
    const row = document.querySelector('[data-testid=container-row]');
    if (!row) return;
    m.dom ??= performance.now();
    if (Object.keys(row).some((k) => k.startsWith('__reactFiber'))) {
      m.interactive = performance.now();
      o.disconnect();
    }
  }).observe(document, { childList: true, subtree: true });
  new PerformanceObserver((l) => {
    for (const e of l.getEntries()) if (e.identifier === 'container-row') m.painted ??= e.renderTime;
  }).observe({ type: 'element', buffered: true });
})()`;

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
  const ui = await startWebUi({ dockerSocket: daemon.socket });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
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

    // Cold loads, each in a fresh browser context (empty cache, no cookies):
    // the page's own clock, from navigation start. "painted" is when a row
    // was first presented on screen (Element Timing on the rows' titles; the
    // server's first page counts once it is shown); "interactive" is when
    // React's own rows are in the DOM (clicks work from then on).
    const cold: { painted: number; dom: number; interactive: number; wall: number }[] = [];
    let breakdown: [string, number, number][] = [];
    let context: BrowserContext | undefined;
    let page: Page | undefined;
    for (let i = 0; i < COLD_RUNS; i++) {
      await context?.close();
      context = await browser.newContext({ viewport: { width: 1360, height: 860 } });
      page = await context.newPage();
      await page.addInitScript(COLD_MARKS);
      const wall0 = Date.now();
      await page.goto(ui.url, { waitUntil: 'commit' });
      // Polled with plain evaluates: Playwright's selector engine would be
      // injected into the page and run on its main thread mid-load.
      while (!(await page.evaluate('window.__wharf.interactive !== undefined').catch(() => false))) {
        await new Promise((r) => setTimeout(r, 20));
      }
      const wall = Date.now() - wall0;
      // Element Timing entries come when the frame is presented; give the last ones a moment.
      await page.waitForTimeout(200);
      const m = (await page.evaluate('window.__wharf')) as Record<string, number | undefined>;
      cold.push({ painted: m.painted ?? NaN, dom: m.dom ?? NaN, interactive: m.interactive ?? NaN, wall });
      // Where the last cold load's time went, from its navigation and resource timings.
      breakdown = (await page.evaluate(`(() => {
        const r = (x) => Math.round(x);
        const out = [];
        const nav = performance.getEntriesByType('navigation')[0];
        if (nav) out.push(['document (after the token redirect)', r(nav.redirectEnd || nav.startTime), r(nav.responseEnd)]);
        for (const e of performance.getEntriesByType('resource')) {
          const name = e.name.replace(/^.*\\//, '');
          out.push([name, r(e.startTime), r(e.responseEnd)]);
        }
        if (nav) out.push(['DOMContentLoaded', r(nav.domContentLoadedEventEnd), r(nav.domContentLoadedEventEnd)]);
        for (const [k, v] of [['first row in the DOM', window.__wharf.dom], ['first row painted', window.__wharf.painted], ['first row interactive (React)', window.__wharf.interactive]])
          out.push([k, r(v), r(v)]);
        return out;
      })()`)) as [string, number, number][];
    }
    if (!page) throw new Error('no page');

    await page.click('[data-nav=settings]');
    // In-page scripts are strings: this file is type-checked without DOM types.
    // From the click to the first new row presented on screen (Element Timing).
    const warm = (await page.evaluate(`(async () => {
      const start = performance.now();
      const painted = new Promise((res) => {
        const o = new PerformanceObserver((l) => {
          for (const e of l.getEntries()) {
            if (e.identifier === 'container-row' && e.renderTime > start) {
              o.disconnect();
              res(e.renderTime);
              return;
            }
          }
        });
        o.observe({ type: 'element' });
      });
      document.querySelector('[data-nav=containers]').click();
      return (await painted) - start;
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

    const cdp = await context!.newCDPSession(page);
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
    const stat = (k: 'painted' | 'dom' | 'interactive' | 'wall'): string => {
      const xs = cold.map((c) => c[k]);
      return `${pct(xs, 50).toFixed(0)} ms (${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)})`;
    };
    const rows = [
      ['containers', String(N), ''],
      ['cold loads (fresh browser contexts)', `${COLD_RUNS}, median (range):`, ''],
      ['first row painted, cold', stat('painted'), 'target < 300 ms'],
      ['  nav start -> first row in the DOM', stat('dom'), ''],
      ['  nav start -> interactive (React)', stat('interactive'), ''],
      ['  wall clock incl. Playwright', stat('wall'), ''],
      ['  engine alone: GET /containers/json', `${listApi} ms`, ''],
      ['first row painted, opening the view', `${warm.toFixed(1)} ms`, 'target < 300 ms'],
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
    for (const [k, v, t] of rows) console.log(`${k!.padEnd(40)} ${v!.padEnd(24)} ${t}`);
    console.log(`\ncold loads, first row painted: ${cold.map((c) => c.painted.toFixed(0)).join(', ')} ms`);
    console.log('last cold load, ms from navigation start (start .. end):');
    for (const [name, a, b] of breakdown) console.log(`  ${name.slice(0, 40).padEnd(40)} ${a} .. ${b}`);
  } finally {
    await browser.close().catch(() => {});
    await ui.close();
    await daemon.cleanup();
  }
}

await main();
