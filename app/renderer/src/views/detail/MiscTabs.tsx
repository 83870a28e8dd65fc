// Overview, Inspect, Processes (top), Changes (diff), Under the hood.
import { useEffect, useState } from 'react';
import type { ContainerDetail, FsChange, TopResult, UnderTheHood } from '../../../../shared/ipc.js';
import { bridge, errorText } from '../../bridge/index.js';
import { ErrorNote } from '../../components/common.js';
import { bytes, shortId } from '../../lib/format.js';
import { CgroupTable } from './ResourcesTab.js';

function useInvoke<T>(load: () => Promise<T>, deps: unknown[], everyMs = 0): { data?: T; error?: string } {
  const [state, setState] = useState<{ data?: T; error?: string }>({});
  useEffect(() => {
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const run = (): void => {
      load().then(
        (data) => live && setState({ data }),
        (e: unknown) => live && setState({ error: errorText(e) }),
      );
      if (everyMs > 0) timer = setTimeout(run, everyMs);
    };
    run();
    return () => {
      live = false;
      if (timer) clearTimeout(timer);
    };
  }, deps);
  return state;
}

function Kv({ k, children }: { k: string; children: React.ReactNode }) {
  return (
    <div className="kv">
      <span>{k}</span>
      <div>{children}</div>
    </div>
  );
}

export function OverviewTab({ d }: { d: ContainerDetail }) {
  const r = d.resources;
  return (
    <div className="overview">
      <div className="card">
        <h3 className="section-title">Container</h3>
        <Kv k="ID">
          <code>{shortId(d.id)}</code>
        </Kv>
        <Kv k="Image">
          <code>{d.image}</code>
        </Kv>
        <Kv k="Command">
          <code>{[...d.entrypoint, ...d.cmd].join(' ') || '—'}</code>
        </Kv>
        <Kv k="Hostname">
          <code data-testid="hostname">{d.hostname}</code>
        </Kv>
        <Kv k="Created">{new Date(d.created).toLocaleString()}</Kv>
        <Kv k="State">
          {d.state}
          {d.state === 'exited' &&
            ` (exit code ${d.exitCode}${d.oomKilled ? ', killed: out of memory' : ''})`}
        </Kv>
        <Kv k="Restart policy">{d.restartPolicy}</Kv>
        <Kv k="IP address">{d.ipAddress || '—'}</Kv>
      </div>
      <div className="card">
        <h3 className="section-title">Limits</h3>
        <Kv k="Memory">{r.memory ? bytes(r.memory) : 'unlimited'}</Kv>
        <Kv k="Memory + swap">
          {r.memorySwap > 0 ? bytes(r.memorySwap) : r.memorySwap < 0 ? 'unlimited' : 'default'}
        </Kv>
        <Kv k="CPU shares">{r.cpuShares || 'default (1024)'}</Kv>
        <Kv k="CPUs">{r.nanoCpus ? (r.nanoCpus / 1e9).toString() : 'unlimited'}</Kv>
        <Kv k="Processes">{r.pidsLimit > 0 ? r.pidsLimit : 'unlimited'}</Kv>
        <h3 className="section-title">Ports &amp; mounts</h3>
        {d.ports.length === 0 && d.mounts.length === 0 && <div className="muted">None</div>}
        {d.ports.map((p) => (
          <Kv key={`${p.privatePort}/${p.type}/${p.publicPort}`} k={`${p.privatePort}/${p.type}`}>
            {p.ip || '0.0.0.0'}:{p.publicPort}
          </Kv>
        ))}
        {d.mounts.map((m) => (
          <Kv key={m.destination} k={m.destination}>
            <code>
              {m.source} ({m.type}
              {m.rw ? '' : ', read-only'})
            </code>
          </Kv>
        ))}
      </div>
      {d.env.length > 0 && (
        <div className="card span2">
          <h3 className="section-title">Environment</h3>
          <pre className="env">{d.env.join('\n')}</pre>
        </div>
      )}
    </div>
  );
}

export function InspectTab({ d }: { d: ContainerDetail }) {
  return <pre className="inspect">{JSON.stringify(d.raw, null, 2)}</pre>;
}

export function ProcessesTab({ d }: { d: ContainerDetail }) {
  const { data, error } = useInvoke<TopResult>(
    () => bridge.invoke('containers/top', d.id),
    [d.id, d.state],
    3000,
  );
  if (d.state !== 'running') return <div className="tab-pad muted">The container is not running.</div>;
  if (error) return <ErrorNote>{error}</ErrorNote>;
  if (!data) return <div className="tab-pad muted">Loading…</div>;
  return (
    <table className="table" data-testid="top">
      <thead>
        <tr>
          {data.titles.map((t) => (
            <th key={t}>{t}</th>
          ))}
        </tr>
      </thead>
      <tbody>
        {data.processes.map((p, i) => (
          <tr key={i}>
            {p.map((c, j) => (
              <td key={j} className={j === p.length - 1 ? 'mono' : ''}>
                {c}
              </td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function ChangesTab({ d }: { d: ContainerDetail }) {
  const { data, error } = useInvoke<FsChange[]>(() => bridge.invoke('containers/changes', d.id), [d.id]);
  if (error) return <ErrorNote>{error}</ErrorNote>;
  if (!data) return <div className="tab-pad muted">Loading…</div>;
  if (data.length === 0) return <div className="tab-pad muted">No changes against the image.</div>;
  return (
    <ul className="changes">
      {data.map((c) => (
        <li key={c.path} className={`chg-${c.kind}`}>
          <span className="chg-kind">{c.kind === 'added' ? 'A' : c.kind === 'deleted' ? 'D' : 'C'}</span>
          <code>{c.path}</code>
        </li>
      ))}
    </ul>
  );
}

export function HoodTab({ d }: { d: ContainerDetail }) {
  const { data, error } = useInvoke<UnderTheHood>(
    () => bridge.invoke('containers/under-the-hood', d.id),
    [d.id, d.state],
  );
  if (error) return <ErrorNote>{error}</ErrorNote>;
  if (!data) return <div className="tab-pad muted">Reading…</div>;
  return (
    <div className="hood">
      {data.note && <div className="muted">{data.note}</div>}
      <div className="card">
        <h3 className="section-title">
          Namespaces {data.pid > 0 && <span className="muted">of pid {data.pid}</span>}
        </h3>
        <table className="table mono" data-testid="namespaces">
          <thead>
            <tr>
              <th>type</th>
              <th>container</th>
              <th>engine</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {data.namespaces.map((n) => (
              <tr key={n.type}>
                <td>{n.type}</td>
                <td>{n.inode}</td>
                <td>{n.hostInode}</td>
                <td>
                  {n.shared ? (
                    <span className="pill">shared with the engine</span>
                  ) : (
                    <span className="pill on">own</span>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <div className="card">
        <h3 className="section-title">cgroup</h3>
        <CgroupTable cg={data.cgroup} />
      </div>
      {data.overlay && (
        <div className="card span2">
          <h3 className="section-title">Overlay root filesystem</h3>
          <div className="overlay-stack">
            <div className="ov ov-merged">
              <b>merged</b> <code>{data.overlay.merged || '(container root)'}</code>
            </div>
            <div className="ov ov-upper">
              <b>upperdir</b> <code>{data.overlay.upperdir}</code>
            </div>
            <div className="ov ov-work">
              <b>workdir</b> <code>{data.overlay.workdir}</code>
            </div>
            {data.overlay.lowerdir.map((l, i) => (
              <div className="ov ov-lower" key={l}>
                <b>lower {i}</b> <code>{l}</code>
              </div>
            ))}
          </div>
        </div>
      )}
    </div>
  );
}
