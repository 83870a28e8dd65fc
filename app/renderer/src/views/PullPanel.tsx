// Pull an image with a progress bar per layer.
import { useRef, useState, type FormEvent } from 'react';
import type { PullProgress, StreamHandle } from '../../../shared/ipc.js';
import { bridge } from '../bridge/index.js';
import { Icon } from '../components/Icon.js';
import { ErrorNote } from '../components/common.js';
import { bytes } from '../lib/format.js';
import { loadImages } from '../store/actions.js';

interface LayerState {
  id: string;
  status: string;
  current?: number;
  total?: number;
}

export function PullPanel() {
  const [ref, setRef] = useState('');
  const [layers, setLayers] = useState<LayerState[]>([]);
  const [status, setStatus] = useState('');
  const [error, setError] = useState<string>();
  const [pulling, setPulling] = useState(false);
  const handle = useRef<StreamHandle<'pull'>>();

  const start = (e: FormEvent) => {
    e.preventDefault();
    const image = ref.trim();
    if (!image || pulling) return;
    setLayers([]);
    setStatus(`Pulling ${image}…`);
    setError(undefined);
    setPulling(true);
    const s = bridge.open('pull', { image });
    handle.current = s;
    const order: string[] = [];
    const byId = new Map<string, LayerState>();
    s.onData((batch: PullProgress[]) => {
      for (const p of batch) {
        if (p.error) setError(p.error);
        const layer = /fs layer|waiting|download|verifying|extracting|pull complete|already exists/i.test(
          p.status,
        );
        if (!p.id || !layer) {
          if (p.status) setStatus(p.status);
          continue;
        }
        if (!byId.has(p.id)) order.push(p.id);
        const prev = byId.get(p.id);
        byId.set(p.id, {
          id: p.id,
          status: p.status,
          ...(p.current !== undefined
            ? { current: p.current }
            : prev?.current !== undefined
              ? { current: prev.current }
              : {}),
          ...(p.total !== undefined
            ? { total: p.total }
            : prev?.total !== undefined
              ? { total: prev.total }
              : {}),
        });
      }
      setLayers(order.map((id) => byId.get(id)!));
      s.ack();
    });
    s.onEnd((err) => {
      setPulling(false);
      if (err) setError(err);
      void loadImages();
    });
  };

  return (
    <div className="card pull">
      <form className="pull-form" onSubmit={start}>
        <input
          placeholder="Image to pull, e.g. busybox:latest or 127.0.0.1:5000/app:1.0"
          value={ref}
          onChange={(e) => setRef(e.target.value)}
          aria-label="Image to pull"
        />
        <button className="btn primary" disabled={!ref.trim() || pulling} data-testid="pull">
          <Icon name="download" size={14} /> {pulling ? 'Pulling…' : 'Pull'}
        </button>
      </form>
      {error && <ErrorNote onClose={() => setError(undefined)}>{error}</ErrorNote>}
      {(layers.length > 0 || status) && (
        <div className="pull-progress" data-testid="pull-progress">
          <div className="muted">{status}</div>
          {layers.map((l) => {
            const done = /complete|already exists|exists/i.test(l.status);
            const pct = done ? 100 : l.total ? Math.min(100, ((l.current ?? 0) / l.total) * 100) : 0;
            return (
              <div className="layer-progress" key={l.id} data-testid="layer-progress">
                <code>{l.id}</code>
                <div className="bar">
                  <div className={`fill${done ? ' done' : ''}`} style={{ width: `${pct}%` }} />
                </div>
                <span className="muted">
                  {l.status}
                  {l.total && !done ? ` ${bytes(l.current ?? 0)} / ${bytes(l.total)}` : ''}
                </span>
              </div>
            );
          })}
        </div>
      )}
    </div>
  );
}
