// One container: header with actions, and tabs. Terminal sessions survive
// tab switches (see terminal/sessions.ts).
import { lazy, Suspense, useCallback, useEffect, useState } from 'react';
import type { ContainerDetail } from '../../../shared/ipc.js';
import { bridge, errorText } from '../bridge/index.js';
import { useStore, type DetailTab } from '../store/index.js';
import {
  closeDetail,
  containerAction,
  setDetailTab,
  clearRowError,
  peekDetailSeed,
  takeDetailSeed,
} from '../store/actions.js';
import { Icon } from '../components/Icon.js';
import { ErrorNote, StateBadge } from '../components/common.js';
import { LogsTab } from './detail/LogsTab.js';
// xterm.js and uPlot load with their tabs.
const TerminalTab = lazy(() => import('./detail/TerminalTab.js').then((m) => ({ default: m.TerminalTab })));
const StatsTab = lazy(() => import('./detail/StatsTab.js').then((m) => ({ default: m.StatsTab })));
import { ResourcesTab } from './detail/ResourcesTab.js';
import { ChangesTab, HoodTab, InspectTab, OverviewTab, ProcessesTab } from './detail/MiscTabs.js';

const TABS: { id: DetailTab; label: string }[] = [
  { id: 'overview', label: 'Overview' },
  { id: 'logs', label: 'Logs' },
  { id: 'terminal', label: 'Terminal' },
  { id: 'stats', label: 'Stats' },
  { id: 'resources', label: 'Resources' },
  { id: 'processes', label: 'Processes' },
  { id: 'changes', label: 'Changes' },
  { id: 'hood', label: 'Under the hood' },
  { id: 'inspect', label: 'Inspect' },
];

export function ContainerDetailView({ id }: { id: string }) {
  const tab = useStore((s) => s.detailTab);
  const summary = useStore((s) => s.containers[id]);
  const busy = useStore((s) => s.busy[id]);
  const rowError = useStore((s) => s.rowErrors[id]);
  const [detail, setDetail] = useState<ContainerDetail | undefined>(() => peekDetailSeed(id));
  const [error, setError] = useState<string>();
  const reload = useCallback(() => {
    const seed = takeDetailSeed(id);
    if (seed) setDetail(seed);
    bridge.invoke('containers/inspect', id).then(
      (d) => {
        setDetail(d);
        setError(undefined);
      },
      (e: unknown) => setError(errorText(e)),
    );
  }, [id]);
  // Re-inspect when the summary (state/status) changes through events.
  useEffect(reload, [reload, summary?.state, summary?.status]);
  const running = detail?.state === 'running';
  const paused = detail?.state === 'paused';
  return (
    <section className="view detail">
      <header className="view-head">
        <div className="detail-title">
          <button className="icon-btn" onClick={closeDetail} aria-label="Back to containers">
            <Icon name="back" />
          </button>
          <div>
            <h1 data-testid="detail-name">{detail?.name ?? summary?.name ?? id.slice(0, 12)}</h1>
            <div className="muted mono">{detail?.image ?? summary?.image}</div>
          </div>
          {detail && <StateBadge state={detail.state} />}
        </div>
        <div className="head-actions">
          {running || paused ? (
            <button className="btn" disabled={!!busy} onClick={() => void containerAction([id], 'stop')}>
              <Icon name="stop" size={14} /> Stop
            </button>
          ) : (
            <button className="btn" disabled={!!busy} onClick={() => void containerAction([id], 'start')}>
              <Icon name="play" size={14} /> Start
            </button>
          )}
          <button className="btn" disabled={!!busy} onClick={() => void containerAction([id], 'restart')}>
            <Icon name="restart" size={14} /> Restart
          </button>
          <button
            className="btn"
            disabled={!!busy || !(running || paused)}
            onClick={() => void containerAction([id], paused ? 'unpause' : 'pause')}
          >
            <Icon name={paused ? 'play' : 'pause'} size={14} /> {paused ? 'Resume' : 'Pause'}
          </button>
          <button
            className="btn danger"
            disabled={!!busy}
            onClick={() => void containerAction([id], 'remove')}
          >
            <Icon name="trash" size={14} /> Remove
          </button>
        </div>
      </header>
      {rowError && <ErrorNote onClose={() => clearRowError(id)}>{rowError}</ErrorNote>}
      {error && <ErrorNote>{error}</ErrorNote>}
      <nav className="tabs" role="tablist">
        {TABS.map((t) => (
          <button
            key={t.id}
            role="tab"
            aria-selected={tab === t.id}
            className={tab === t.id ? 'on' : ''}
            onClick={() => setDetailTab(t.id)}
          >
            {t.label}
          </button>
        ))}
      </nav>
      <div className="tab-body">
        <Suspense fallback={<div className="muted">Loading…</div>}>
          {detail && tab === 'overview' && <OverviewTab d={detail} />}
          {detail && tab === 'logs' && <LogsTab detail={detail} />}
          {detail && tab === 'terminal' && <TerminalTab detail={detail} />}
          {detail && tab === 'stats' && <StatsTab detail={detail} />}
          {detail && tab === 'resources' && <ResourcesTab detail={detail} reload={reload} />}
          {detail && tab === 'processes' && <ProcessesTab d={detail} />}
          {detail && tab === 'changes' && <ChangesTab d={detail} />}
          {detail && tab === 'hood' && <HoodTab d={detail} />}
          {detail && tab === 'inspect' && <InspectTab d={detail} />}
        </Suspense>
      </div>
    </section>
  );
}
