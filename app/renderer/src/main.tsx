// The page's entry: the styles, then the app (boot.tsx). In web mode the
// server has already rendered the first page into #root (ssr.tsx): the app
// is evaluated and rendered once the browser has shown that page (its first
// contentful paint), so its rows appear before React takes the main thread
// and replaces them with its own. index.html preloads the app's chunks
// (vite.config.ts), so they are fetched and compiled meanwhile.
import './styles.css';

/** Longest wait for that paint (none comes while the page is hidden). */
const FIRST_PAINT_WAIT_MS = 250;

function boot(): void {
  void import('./boot.js');
}

function afterFirstPaint(then: () => void): void {
  let done = false;
  const go = (): void => {
    if (done) return;
    done = true;
    setTimeout(then, 0);
  };
  setTimeout(go, FIRST_PAINT_WAIT_MS);
  try {
    new PerformanceObserver((_list, observer) => {
      observer.disconnect();
      go();
    }).observe({ type: 'paint', buffered: true });
  } catch {
    requestAnimationFrame(go);
  }
}

if (document.getElementById('root')?.firstElementChild) afterFirstPaint(boot);
else boot();
