import { lazy, Suspense, useEffect } from 'react';
import { useStore, type View } from '../store/index.js';
import { setView, startSync, closeDetail } from '../store/actions.js';
import { Icon, type IconName } from '../components/Icon.js';
import { ContainersView } from './ContainersView.js';
import { loadContainerDetailView } from './lazy.js';

// The list loads first; the detail (xterm, uPlot), Images, Volumes and Settings load on demand.
const ContainerDetailView = lazy(() =>
  loadContainerDetailView().then((m) => ({ default: m.ContainerDetailView })),
);
const ImagesView = lazy(() => import('./ImagesView.js').then((m) => ({ default: m.ImagesView })));
const VolumesView = lazy(() => import('./VolumesView.js').then((m) => ({ default: m.VolumesView })));
const SettingsView = lazy(() => import('./SettingsView.js').then((m) => ({ default: m.SettingsView })));
import { RunDialog } from './RunDialog.js';

const NAV: { id: View; label: string; icon: IconName }[] = [
  { id: 'containers', label: 'Containers', icon: 'box' },
  { id: 'images', label: 'Images', icon: 'layers' },
  { id: 'volumes', label: 'Volumes', icon: 'database' },
  { id: 'settings', label: 'Settings', icon: 'settings' },
];

function Sidebar() {
  const view = useStore((s) => s.view);
  const host = useStore((s) => s.host);
  const hostError = useStore((s) => s.hostError);
  const endpoint = useStore((s) => s.endpoints.find((e) => e.active));
  const running = useStore((s) => Object.values(s.containers).filter((c) => c.state === 'running').length);
  const images = useStore((s) => s.images.length);
  return (
    <aside className="sidebar">
      <div className="brand">
        <div className="logo">W</div>
        <span>Wharf</span>
      </div>
      <nav>
        {NAV.map((n) => (
          <button
            key={n.id}
            className={view === n.id ? 'on' : ''}
            onClick={() => {
              setView(n.id);
              if (n.id === 'containers') closeDetail();
            }}
            data-nav={n.id}
          >
            <Icon name={n.icon} /> <span>{n.label}</span>
            {n.id === 'containers' && running > 0 && <span className="count">{running}</span>}
            {n.id === 'images' && images > 0 && <span className="count">{images}</span>}
          </button>
        ))}
      </nav>
      <div className="engine-status">
        <span className={`dot ${hostError ? 'bad' : host ? 'ok' : ''}`} />
        <div>
          <div>{endpoint?.name ?? 'Engine'}</div>
          <div className="muted small">
            {hostError ? 'not reachable' : host ? `${host.ncpu} CPUs · ${host.serverVersion}` : 'connecting…'}
          </div>
        </div>
      </div>
    </aside>
  );
}

export function App() {
  const view = useStore((s) => s.view);
  const detailId = useStore((s) => s.detailId);
  const runOpen = useStore((s) => s.runOpen);
  useEffect(() => startSync(), []);
  return (
    <div className="app">
      <Sidebar />
      <main className="main">
        <Suspense fallback={<div className="view muted">Loading…</div>}>
          {view === 'containers' && (detailId ? <ContainerDetailView id={detailId} /> : <ContainersView />)}
          {view === 'images' && <ImagesView />}
          {view === 'volumes' && <VolumesView />}
          {view === 'settings' && <SettingsView />}
        </Suspense>
      </main>
      {runOpen && <RunDialog />}
    </div>
  );
}
