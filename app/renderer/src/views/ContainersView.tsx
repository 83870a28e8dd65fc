// The Containers list: virtualized, grouped by compose project, searchable,
// filterable, with bulk selection and per-row actions.
import { memo, useMemo, useRef } from 'react';
import { useVirtualizer } from '@tanstack/react-virtual';
import { useShallow } from 'zustand/react/shallow';
import type { ContainerSummary } from '../../../shared/ipc.js';
import { useStore, type StateFilter } from '../store/index.js';
import {
  clearRowError,
  containerAction,
  openDetail,
  openRun,
  setSearch,
  setSelected,
  setStateFilter,
  toggleSelected,
  type ContainerAction,
} from '../store/actions.js';
import { Icon, type IconName } from '../components/Icon.js';
import { Empty, ErrorNote, StateBadge } from '../components/common.js';
import { ago } from '../lib/format.js';

type Row =
  | { kind: 'group'; key: string; title: string; count: number }
  | { kind: 'item'; key: string; c: ContainerSummary };

function matches(c: ContainerSummary, q: string, f: StateFilter): boolean {
  if (f === 'running' && c.state !== 'running') return false;
  if (f === 'paused' && c.state !== 'paused') return false;
  if (f === 'stopped' && !['exited', 'created', 'dead'].includes(c.state)) return false;
  if (!q) return true;
  return (
    c.name.toLowerCase().includes(q) ||
    c.image.toLowerCase().includes(q) ||
    c.id.startsWith(q) ||
    (c.project ?? '').toLowerCase().includes(q)
  );
}

// Container and compose project names are ASCII (Docker's naming rules): a
// plain comparison. localeCompare's first call loads ICU's collator (~15 ms),
// right on the path to the first row.
const byText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function useRows(): { rows: Row[]; visibleIds: string[] } {
  const { containers, search, filter } = useStore(
    useShallow((s) => ({ containers: s.containers, search: s.search, filter: s.stateFilter })),
  );
  return useMemo(() => {
    const q = search.trim().toLowerCase();
    const list = Object.values(containers)
      .filter((c) => matches(c, q, filter))
      .sort((a, b) => b.created - a.created || byText(a.name, b.name));
    const groups = new Map<string, ContainerSummary[]>();
    const standalone: ContainerSummary[] = [];
    for (const c of list) {
      if (c.project) {
        const g = groups.get(c.project) ?? [];
        g.push(c);
        groups.set(c.project, g);
      } else standalone.push(c);
    }
    const rows: Row[] = [];
    for (const [p, g] of [...groups.entries()].sort((a, b) => byText(a[0], b[0]))) {
      rows.push({ kind: 'group', key: `g:${p}`, title: p, count: g.length });
      for (const c of g) rows.push({ kind: 'item', key: c.id, c });
    }
    if (groups.size > 0 && standalone.length > 0) {
      rows.push({ kind: 'group', key: 'g:', title: 'Standalone', count: standalone.length });
    }
    for (const c of standalone) rows.push({ kind: 'item', key: c.id, c });
    return { rows, visibleIds: list.map((c) => c.id) };
  }, [containers, search, filter]);
}

function ActionBtn({
  icon,
  label,
  onClick,
  disabled,
}: {
  icon: IconName;
  label: string;
  onClick: () => void;
  disabled?: boolean;
}) {
  return (
    <button
      className="icon-btn"
      title={label}
      aria-label={label}
      disabled={disabled}
      onClick={(e) => {
        e.stopPropagation();
        onClick();
      }}
    >
      <Icon name={icon} />
    </button>
  );
}

const ContainerRow = memo(function ContainerRow({ c }: { c: ContainerSummary }) {
  const selected = useStore((s) => !!s.selected[c.id]);
  const busy = useStore((s) => s.busy[c.id]);
  const error = useStore((s) => s.rowErrors[c.id]);
  const act = (a: ContainerAction) => void containerAction([c.id], a);
  const running = c.state === 'running';
  const paused = c.state === 'paused';
  const ports = c.ports
    .filter((p) => p.publicPort)
    .map((p) => `${p.publicPort}→${p.privatePort}`)
    .join(', ');
  return (
    <div
      className={`row${selected ? ' selected' : ''}`}
      data-testid="container-row"
      data-name={c.name}
      data-id={c.id}
      onClick={() => openDetail(c.id)}
    >
      <input
        type="checkbox"
        aria-label={`Select ${c.name}`}
        checked={selected}
        onClick={(e) => e.stopPropagation()}
        onChange={() => toggleSelected(c.id)}
      />
      <StateBadge state={c.state} />
      <div className="row-main">
        {/* elementtiming: bench/ui reads when the first rows were painted. */}
        <div className="row-title" elementtiming="container-row">
          {c.name}
        </div>
        <div className="row-sub">
          <span className="mono">{c.image}</span>
          {ports && <span className="pill">{ports}</span>}
        </div>
      </div>
      {error ? (
        <div className="row-status row-error" role="alert" title={error} onClick={(e) => e.stopPropagation()}>
          <span>{error}</span>
          <button className="icon-btn" aria-label="Dismiss" onClick={() => clearRowError(c.id)}>
            <Icon name="close" size={12} />
          </button>
        </div>
      ) : (
        <div className="row-status muted">{busy ? `${busy}…` : c.status || ago(c.created)}</div>
      )}
      <div className="row-actions">
        {running || paused ? (
          <ActionBtn icon="stop" label="Stop" onClick={() => act('stop')} disabled={!!busy} />
        ) : (
          <ActionBtn icon="play" label="Start" onClick={() => act('start')} disabled={!!busy} />
        )}
        <ActionBtn icon="restart" label="Restart" onClick={() => act('restart')} disabled={!!busy} />
        <ActionBtn
          icon={paused ? 'play' : 'pause'}
          label={paused ? 'Resume' : 'Pause'}
          onClick={() => act(paused ? 'unpause' : 'pause')}
          disabled={!!busy || !(running || paused)}
        />
        <ActionBtn icon="trash" label="Remove" onClick={() => act('remove')} disabled={!!busy} />
      </div>
    </div>
  );
});

const ROW_H = 60;
const GROUP_H = 34;
/** Header, toolbar and bulk bar above the list, and the view's padding below it (styles.css). */
const LIST_CHROME_H = 192;
/** The window's height when rendering on the server (ssr.tsx): rows past the real one are clipped. */
const SERVER_WINDOW_H = 1200;

/**
 * The list's height before it is measured, close to what the measurement
 * finds: the rows rendered first are then the ones kept (no second render).
 */
function listHeightGuess(): number {
  const h = typeof window === 'undefined' ? SERVER_WINDOW_H : window.innerHeight;
  return Math.max(ROW_H, h - LIST_CHROME_H);
}

const FILTERS: { id: StateFilter; label: string }[] = [
  { id: 'all', label: 'All' },
  { id: 'running', label: 'Running' },
  { id: 'paused', label: 'Paused' },
  { id: 'stopped', label: 'Stopped' },
];

export function ContainersView() {
  const { rows, visibleIds } = useRows();
  const search = useStore((s) => s.search);
  const filter = useStore((s) => s.stateFilter);
  const loaded = useStore((s) => s.containersLoaded);
  const error = useStore((s) => s.containersError);
  const total = useStore((s) => Object.keys(s.containers).length);
  const running = useStore((s) => Object.values(s.containers).filter((c) => c.state === 'running').length);
  const selectedIds = useStore(useShallow((s) => Object.keys(s.selected)));
  const parentRef = useRef<HTMLDivElement>(null);
  const virt = useVirtualizer({
    count: rows.length,
    getScrollElement: () => parentRef.current,
    // Fixed heights: no per-row measuring while scrolling.
    estimateSize: (i) => (rows[i]?.kind === 'group' ? GROUP_H : ROW_H),
    // None on the server (ssr.tsx): its rows are only looked at, never scrolled.
    overscan: typeof window === 'undefined' ? 0 : 6,
    // Rows on the first render, before the list's size is measured.
    initialRect: { width: 0, height: listHeightGuess() },
    getItemKey: (i) => rows[i]?.key ?? i,
  });
  const allSelected = visibleIds.length > 0 && visibleIds.every((id) => selectedIds.includes(id));
  const bulk = (a: ContainerAction) => void containerAction(selectedIds, a);

  return (
    <section className="view">
      <header className="view-head">
        <div>
          <h1>Containers</h1>
          <div className="muted">
            {running} running · {total} total
          </div>
        </div>
        <button className="btn primary" onClick={() => openRun()} data-testid="open-run">
          <Icon name="plus" /> Run
        </button>
      </header>
      <div className="toolbar">
        <div className="search">
          <Icon name="search" />
          <input
            placeholder="Search name, image, project or ID"
            value={search}
            onChange={(e) => setSearch(e.target.value)}
            aria-label="Search containers"
          />
        </div>
        <div className="segmented" role="tablist">
          {FILTERS.map((f) => (
            <button
              key={f.id}
              role="tab"
              aria-selected={filter === f.id}
              className={filter === f.id ? 'on' : ''}
              onClick={() => setStateFilter(f.id)}
            >
              {f.label}
            </button>
          ))}
        </div>
      </div>
      {total > 0 && (
        <div className={`bulkbar${selectedIds.length ? ' show' : ''}`} data-testid="bulkbar">
          <label className="check">
            <input
              type="checkbox"
              checked={allSelected}
              aria-label="Select all"
              onChange={() => setSelected(allSelected ? [] : visibleIds)}
            />
            <span>{selectedIds.length ? `${selectedIds.length} selected` : 'Select all'}</span>
          </label>
          {selectedIds.length > 0 && (
            <div className="bulk-actions">
              <button className="btn small" onClick={() => bulk('start')}>
                <Icon name="play" size={14} /> Start
              </button>
              <button className="btn small" onClick={() => bulk('stop')} data-testid="bulk-stop">
                <Icon name="stop" size={14} /> Stop
              </button>
              <button className="btn small" onClick={() => bulk('restart')}>
                <Icon name="restart" size={14} /> Restart
              </button>
              <button className="btn small danger" onClick={() => bulk('remove')} data-testid="bulk-remove">
                <Icon name="trash" size={14} /> Remove
              </button>
            </div>
          )}
        </div>
      )}
      {error && <ErrorNote>{error}</ErrorNote>}
      {loaded && rows.length === 0 && !error ? (
        total === 0 ? (
          <Empty title="No containers yet">
            Pull an image, then press <b>Run</b>.
          </Empty>
        ) : (
          <Empty title="Nothing matches">Try another search or filter.</Empty>
        )
      ) : (
        <div className="list" ref={parentRef} data-testid="container-list">
          <div style={{ height: virt.getTotalSize(), position: 'relative' }}>
            {virt.getVirtualItems().map((v) => {
              const r = rows[v.index]!;
              return (
                <div
                  key={v.key}
                  data-index={v.index}
                  style={{
                    position: 'absolute',
                    top: 0,
                    left: 0,
                    right: 0,
                    height: v.size,
                    transform: `translateY(${v.start}px)`,
                  }}
                >
                  {r.kind === 'group' ? (
                    <div className="group-head">
                      <Icon name="layers" size={14} /> {r.title} <span className="muted">{r.count}</span>
                    </div>
                  ) : (
                    <ContainerRow c={r.c} />
                  )}
                </div>
              );
            })}
          </div>
        </div>
      )}
    </section>
  );
}
