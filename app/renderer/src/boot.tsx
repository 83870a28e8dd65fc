// The app: store sync, theme, and React's render into #root. Loaded by
// main.tsx (the page's entry), which decides when.
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './views/App.js';
import { startSync } from './store/actions.js';
import { initTheme } from './lib/theme.js';

// Ask for the snapshot now, not after the first render: it loads while React renders.
startSync();
initTheme();

// When the server rendered a first page into #root (web mode, ssr.tsx),
// this render replaces it in one commit.
createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
