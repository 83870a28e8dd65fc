// The first page, rendered on the server (web mode: app/web/index-page.ts)
// from the container list it inlines: the page shows its rows as soon as
// the HTML and the styles are in, before the bundle has loaded. The bundle
// then renders the same app into #root, which replaces this markup in one
// commit (createRoot, not hydration: how many rows the list renders depends
// on the window's height, which the server does not know). Built by
// `npm run build:ui` into app/web/dist/ssr.js (vite.config.ts).
import { renderToString } from 'react-dom/server';
import type { ContainerSnapshot, ContainerSummary } from '../../shared/ipc.js';
import { initialState, setState } from './store/index.js';
import { App } from './views/App.js';

export function renderFirstPage(snapshot: ContainerSnapshot): string {
  const containers: Record<string, ContainerSummary> = {};
  for (const c of snapshot.containers) containers[c.id] = c;
  // The store is this module's own (the server's); renderToString is
  // synchronous, so no other render sees this state.
  setState({ ...initialState, containers, containersLoaded: true }, true);
  try {
    return renderToString(<App />);
  } finally {
    setState({ ...initialState }, true);
  }
}
