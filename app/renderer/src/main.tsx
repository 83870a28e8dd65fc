import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import './styles.css';
import { App } from './views/App.js';
import { startSync } from './store/actions.js';
import { initTheme } from './lib/theme.js';

// Ask for the snapshot now, not after the first render: it loads while React renders.
startSync();
initTheme();

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
