// Volumes: named and anonymous volumes with their size, where they live on
// the host and which containers use each; create (with labels) and remove.
// The list follows the engine's events (volume create/destroy, containers
// coming and going).
import { useEffect, useState, type FormEvent } from 'react';
import type { VolumeSummary } from '../../../shared/ipc.js';
import { bridge, errorText } from '../bridge/index.js';
import { useStore } from '../store/index.js';
import { loadVolumes, openDetail } from '../store/actions.js';
import { Icon } from '../components/Icon.js';
import { Empty, ErrorNote } from '../components/common.js';
import { ago, bytes, shortId } from '../lib/format.js';

function CreateVolume() {
  const [name, setName] = useState('');
  const [labels, setLabels] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const bad = name.trim() !== '' && !/^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/.test(name.trim());
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (bad || busy) return;
    setBusy(true);
    setError(undefined);
    try {
      await bridge.invoke('volumes/create', { name: name.trim(), labels: labels.split(/[,\n]/) });
      setName('');
      setLabels('');
      await loadVolumes();
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="card pull">
      <form className="pull-form" onSubmit={submit} data-testid="volume-create">
        <input
          placeholder="Volume name (empty: a random name)"
          value={name}
          onChange={(e) => setName(e.target.value)}
          aria-label="Volume name"
          name="volume-name"
        />
        <input
          placeholder="Labels, e.g. team=web, env=dev"
          value={labels}
          onChange={(e) => setLabels(e.target.value)}
          aria-label="Volume labels"
          name="volume-labels"
        />
        <button className="btn primary" disabled={bad || busy} data-testid="create-volume">
          <Icon name="plus" size={14} /> {busy ? 'Creating…' : 'Create'}
        </button>
      </form>
      {bad && (
        <small className="field-error">
          Names are two or more letters, digits, “_”, “.” or “-”, starting with a letter or digit.
        </small>
      )}
      {error && <ErrorNote onClose={() => setError(undefined)}>{error}</ErrorNote>}
    </div>
  );
}

function VolumeRow({ v }: { v: VolumeSummary }) {
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const remove = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await bridge.invoke('volumes/remove', v.name, false);
      await loadVolumes();
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  const labels = Object.entries(v.labels).filter(([k]) => k !== 'com.docker.volume.anonymous');
  return (
    <div className="row volume-row" data-testid="volume-row" data-name={v.name}>
      <Icon name="database" size={20} />
      <div className="row-main">
        <div className="row-title" title={v.name}>
          {v.anonymous ? shortId(v.name) : v.name}
          {v.anonymous && <span className="pill">anonymous</span>}
        </div>
        <div className="row-sub">
          <span className="mono ellipsis" title={v.mountpoint}>
            {v.mountpoint}
          </span>
          {labels.map(([k, val]) => (
            <span className="pill" key={k}>
              {val ? `${k}=${val}` : k}
            </span>
          ))}
          {v.created > 0 && <span className="muted">{ago(v.created)}</span>}
        </div>
        <div className="row-sub" data-testid="volume-users">
          {v.usedBy.length === 0 ? (
            <span className="muted">Not used by any container</span>
          ) : (
            <>
              <span className="muted">Used by</span>
              {v.usedBy.map((u) => (
                <button
                  key={u.id}
                  className="pill on link"
                  title={`${u.name} mounts it at ${u.destination}`}
                  onClick={() => openDetail(u.id)}
                  data-testid="volume-user"
                >
                  {u.name} → {u.destination}
                </button>
              ))}
            </>
          )}
        </div>
        {error && <ErrorNote onClose={() => setError(undefined)}>{error}</ErrorNote>}
      </div>
      <div className="row-status">
        <b>{v.size === undefined ? '—' : bytes(v.size)}</b>
        <div className="muted small">{v.driver}</div>
      </div>
      <div className="row-actions">
        <button
          className="icon-btn"
          title={v.usedBy.length ? 'Remove (in use: remove its containers first)' : 'Remove'}
          aria-label="Remove"
          disabled={busy}
          onClick={() => void remove()}
        >
          <Icon name="trash" />
        </button>
      </div>
    </div>
  );
}

export function VolumesView() {
  const volumes = useStore((s) => s.volumes);
  const loaded = useStore((s) => s.volumesLoaded);
  const error = useStore((s) => s.volumesError);
  useEffect(() => {
    void loadVolumes();
  }, []);
  const total = volumes.reduce((a, v) => a + (v.size ?? 0), 0);
  const inUse = volumes.filter((v) => v.usedBy.length > 0).length;
  return (
    <section className="view">
      <header className="view-head">
        <div>
          <h1>Volumes</h1>
          <div className="muted">
            {volumes.length} volume{volumes.length === 1 ? '' : 's'} · {inUse} in use · {bytes(total)}
          </div>
        </div>
      </header>
      <CreateVolume />
      {error && <ErrorNote>{error}</ErrorNote>}
      <div className="list plain" data-testid="volume-list">
        {loaded && volumes.length === 0 && (
          <Empty title="No volumes">
            Create one above, or run a container with a volume such as <code>data:/data</code>.
          </Empty>
        )}
        {volumes.map((v) => (
          <VolumeRow key={v.name} v={v} />
        ))}
      </div>
    </section>
  );
}
