// Logs: follow, tail, search, timestamps. Lines arrive in batches and are
// flushed to the screen once per animation frame; only the last MAX_LINES
// are kept and the list is virtualized, and each line shows at most
// SHOW_CHARS characters until expanded, so long lines and floods do not
// freeze the page. Each batch is acked after it is flushed (back-pressure).
import { useEffect, useMemo, useRef, useState } from 'react';
import { useVirtualizer } from '@tanstack/react-virtual';
import type { ContainerDetail, LogLine } from '../../../../shared/ipc.js';
import { bridge } from '../../bridge/index.js';
import { ErrorNote } from '../../components/common.js';

const MAX_LINES = 10_000;
const SHOW_CHARS = 600;

interface Line extends LogLine {
  n: number;
}

export function LogsTab({ detail }: { detail: ContainerDetail }) {
  const [lines, setLines] = useState<Line[]>([]);
  const [follow, setFollow] = useState(true);
  const [timestamps, setTimestamps] = useState(false);
  const [tail, setTail] = useState(500);
  const [query, setQuery] = useState('');
  const [ended, setEnded] = useState<string | undefined>();
  const [expanded, setExpanded] = useState<Record<number, true>>({});
  const parentRef = useRef<HTMLDivElement>(null);

  useEffect(() => {
    setLines([]);
    setEnded(undefined);
    let pending: LogLine[] = [];
    let acks = 0;
    let frame = 0;
    let n = 0;
    const s = bridge.open('logs', { id: detail.id, tail, timestamps, follow: true });
    const flush = (): void => {
      frame = 0;
      const add = pending.map((l) => ({ ...l, n: n++ }));
      pending = [];
      setLines((prev) => {
        const next =
          prev.length + add.length > MAX_LINES
            ? prev.slice(prev.length + add.length - MAX_LINES)
            : prev.slice();
        for (const l of add.length > MAX_LINES ? add.slice(-MAX_LINES) : add) next.push(l);
        return next;
      });
      for (; acks > 0; acks--) s.ack();
    };
    const offData = s.onData((batch) => {
      for (const l of batch) pending.push(l);
      acks++;
      frame ||= requestAnimationFrame(flush);
    });
    const offEnd = s.onEnd((err) => setEnded(err ?? 'ended'));
    return () => {
      offData();
      offEnd();
      if (frame) cancelAnimationFrame(frame);
      s.close();
    };
  }, [detail.id, tail, timestamps]);

  const shown = useMemo(() => {
    const q = query.trim().toLowerCase();
    return q ? lines.filter((l) => l.text.toLowerCase().includes(q)) : lines;
  }, [lines, query]);

  const virt = useVirtualizer({
    count: shown.length,
    getScrollElement: () => parentRef.current,
    estimateSize: () => 20,
    overscan: 20,
    getItemKey: (i) => shown[i]?.n ?? i,
  });

  useEffect(() => {
    if (follow && shown.length > 0) virt.scrollToIndex(shown.length - 1, { align: 'end' });
  }, [follow, shown.length, virt]);

  return (
    <div className="logs-tab">
      <div className="toolbar compact">
        <div className="search">
          <input
            placeholder="Search logs"
            value={query}
            onChange={(e) => setQuery(e.target.value)}
            aria-label="Search logs"
          />
        </div>
        <label className="check">
          <input type="checkbox" checked={follow} onChange={(e) => setFollow(e.target.checked)} /> Follow
        </label>
        <label className="check">
          <input type="checkbox" checked={timestamps} onChange={(e) => setTimestamps(e.target.checked)} />{' '}
          Timestamps
        </label>
        <label className="check">
          Tail
          <select value={tail} onChange={(e) => setTail(Number(e.target.value))} aria-label="Tail">
            <option value={100}>100</option>
            <option value={500}>500</option>
            <option value={5000}>5,000</option>
            <option value={0}>all</option>
          </select>
        </label>
        <span className="muted">
          {shown.length.toLocaleString()} lines
          {lines.length >= MAX_LINES ? ` (last ${MAX_LINES.toLocaleString()})` : ''}
        </span>
      </div>
      {ended && ended !== 'ended' && <ErrorNote>{ended}</ErrorNote>}
      <div
        className="logs"
        ref={parentRef}
        data-testid="logs"
        onWheel={(e) => {
          if (e.deltaY < 0 && follow) setFollow(false);
        }}
      >
        {shown.length === 0 && (
          <div className="muted tab-pad">{ended ? 'No output.' : 'Waiting for output…'}</div>
        )}
        <div style={{ height: virt.getTotalSize(), position: 'relative' }}>
          {virt.getVirtualItems().map((v) => {
            const l = shown[v.index]!;
            const long = l.text.length > SHOW_CHARS && !expanded[l.n];
            return (
              <div
                key={v.key}
                data-index={v.index}
                ref={virt.measureElement}
                className={`log-line ${l.stream}`}
                style={{
                  position: 'absolute',
                  top: 0,
                  left: 0,
                  right: 0,
                  transform: `translateY(${v.start}px)`,
                }}
              >
                {l.ts && <span className="ts">{l.ts.replace('T', ' ').slice(0, 23)}</span>}
                <span className="text">{long ? l.text.slice(0, SHOW_CHARS) : l.text}</span>
                {long && (
                  <button className="link-btn" onClick={() => setExpanded((x) => ({ ...x, [l.n]: true }))}>
                    … {(l.text.length - SHOW_CHARS).toLocaleString()} more characters
                  </button>
                )}
              </div>
            );
          })}
        </div>
      </div>
    </div>
  );
}
