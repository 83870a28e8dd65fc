// Live charts from the stats stream (uPlot). Samples bypass React: the
// stream callback appends to arrays and calls setData.
import { useEffect, useRef, useState } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { ContainerDetail, StatsSample } from '../../../../shared/ipc.js';
import { bridge } from '../../bridge/index.js';
import { bytes } from '../../lib/format.js';
import { ErrorNote } from '../../components/common.js';

const KEEP = 120;

interface ChartDef {
  key: string;
  title: string;
  series: { label: string; color: string }[];
  fmt: (v: number) => string;
}

const CHARTS: ChartDef[] = [
  {
    key: 'cpu',
    title: 'CPU',
    series: [{ label: 'CPU %', color: '#5b7cfa' }],
    fmt: (v) => `${v.toFixed(1)}%`,
  },
  { key: 'mem', title: 'Memory', series: [{ label: 'Used', color: '#16a37f' }], fmt: (v) => bytes(v) },
  {
    key: 'net',
    title: 'Network',
    series: [
      { label: 'Received/s', color: '#e0883b' },
      { label: 'Sent/s', color: '#b15bd6' },
    ],
    fmt: (v) => `${bytes(v)}/s`,
  },
  {
    key: 'blk',
    title: 'Block I/O',
    series: [
      { label: 'Read/s', color: '#2aa3c9' },
      { label: 'Write/s', color: '#d6455d' },
    ],
    fmt: (v) => `${bytes(v)}/s`,
  },
];

/** A theme colour as the canvas needs it: the variables hold light-dark() pairs, which only an element resolves. */
function themeColor(el: HTMLElement, variable: string, fallback: string): string {
  const probe = document.createElement('span');
  probe.style.color = `var(${variable})`;
  el.appendChild(probe);
  const color = getComputedStyle(probe).color;
  probe.remove();
  return color || fallback;
}

function makePlot(el: HTMLElement, def: ChartDef): uPlot {
  const axisColor = themeColor(el, '--muted', '#888');
  const grid = themeColor(el, '--line', '#ddd');
  return new uPlot(
    {
      width: Math.max(200, el.clientWidth),
      height: 150,
      legend: { show: true },
      cursor: { drag: { x: false, y: false } },
      scales: {
        x: { time: true },
        y: { range: (_u, _min, max) => [0, Math.max(max * 1.15, def.key === 'cpu' ? 5 : 1024)] },
      },
      axes: [
        { stroke: axisColor, grid: { stroke: grid, width: 1 }, ticks: { show: false } },
        {
          stroke: axisColor,
          grid: { stroke: grid, width: 1 },
          ticks: { show: false },
          size: 70,
          values: (_u, v) => v.map(def.fmt),
        },
      ],
      series: [
        {},
        ...def.series.map((s) => ({
          label: s.label,
          stroke: s.color,
          width: 2,
          fill: `${s.color}22`,
          value: (_u: uPlot, v: number | null) => (v == null ? '—' : def.fmt(v)),
        })),
      ],
    },
    [[], ...def.series.map(() => [])],
    el,
  );
}

export function StatsTab({ detail }: { detail: ContainerDetail }) {
  const refs = useRef<(HTMLDivElement | null)[]>([]);
  const [latest, setLatest] = useState<StatsSample>();
  const [error, setError] = useState<string>();
  useEffect(() => {
    const plots = CHARTS.map((d, i) => makePlot(refs.current[i]!, d));
    const t: number[] = [];
    const cols: number[][] = [[], [], [], [], [], []];
    let prev: StatsSample | undefined;
    const s = bridge.open('stats', { id: detail.id });
    const offData = s.onData((batch) => {
      for (const x of batch) {
        const dt = prev ? Math.max(0.001, (x.time - prev.time) / 1000) : 1;
        t.push(x.time / 1000);
        cols[0]!.push(x.cpuPercent);
        cols[1]!.push(x.memUsage);
        cols[2]!.push(prev ? Math.max(0, (x.netRx - prev.netRx) / dt) : 0);
        cols[3]!.push(prev ? Math.max(0, (x.netTx - prev.netTx) / dt) : 0);
        cols[4]!.push(prev ? Math.max(0, (x.blkRead - prev.blkRead) / dt) : 0);
        cols[5]!.push(prev ? Math.max(0, (x.blkWrite - prev.blkWrite) / dt) : 0);
        prev = x;
      }
      while (t.length > KEEP) {
        t.shift();
        for (const c of cols) c.shift();
      }
      plots[0]!.setData([t, cols[0]!]);
      plots[1]!.setData([t, cols[1]!]);
      plots[2]!.setData([t, cols[2]!, cols[3]!]);
      plots[3]!.setData([t, cols[4]!, cols[5]!]);
      if (prev) setLatest(prev);
      s.ack();
    });
    const offEnd = s.onEnd((e) => e && setError(e));
    const ro = new ResizeObserver(() =>
      plots.forEach((p, i) =>
        p.setSize({ width: Math.max(200, refs.current[i]?.clientWidth ?? 200), height: 150 }),
      ),
    );
    refs.current.forEach((el) => el && ro.observe(el));
    return () => {
      offData();
      offEnd();
      s.close();
      ro.disconnect();
      plots.forEach((p) => p.destroy());
    };
  }, [detail.id]);
  return (
    <div className="stats-tab">
      {error && <ErrorNote>{error}</ErrorNote>}
      {detail.state !== 'running' && (
        <div className="muted">The container is not running; charts stay flat.</div>
      )}
      <div className="stat-cards">
        <div className="stat-card">
          <span>CPU</span>
          <b data-testid="stat-cpu">{latest ? `${latest.cpuPercent.toFixed(1)}%` : '—'}</b>
        </div>
        <div className="stat-card">
          <span>Memory</span>
          <b>
            {latest ? bytes(latest.memUsage) : '—'}
            {latest && latest.memLimit > 0 && <small> / {bytes(latest.memLimit)}</small>}
          </b>
        </div>
        <div className="stat-card">
          <span>Processes</span>
          <b>{latest?.pids ?? '—'}</b>
        </div>
      </div>
      <div className="charts">
        {CHARTS.map((c, i) => (
          <div className="chart" key={c.key}>
            <div className="chart-title">{c.title}</div>
            <div ref={(el) => void (refs.current[i] = el)} data-testid={`chart-${c.key}`} />
          </div>
        ))}
      </div>
    </div>
  );
}
