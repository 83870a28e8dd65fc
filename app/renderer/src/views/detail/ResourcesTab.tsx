// The same sliders as the Run dialog, applied live with `update`, next to
// the values the container's cgroup files hold now.
import { useCallback, useEffect, useState } from 'react';
import type { CgroupValues, ContainerDetail, ResourceSpec } from '../../../../shared/ipc.js';
import { bridge, errorText } from '../../bridge/index.js';
import { ResourceFields, validateResources } from '../../components/ResourceFields.js';
import { ErrorNote } from '../../components/common.js';
import { useStore } from '../../store/index.js';

export function CgroupTable({ cg }: { cg: CgroupValues | undefined }) {
  if (!cg) return <div className="muted">Reading…</div>;
  const entries = Object.entries(cg.files);
  return (
    <div className="cgroup">
      <div className="kv">
        <span>cgroup {cg.version}</span>
        <code data-testid="cgroup-path">{cg.path || '—'}</code>
      </div>
      {cg.note && <div className="muted">{cg.note}</div>}
      {entries.length > 0 && (
        <table className="table mono" data-testid="cgroup-files">
          <tbody>
            {entries.map(([k, v]) => (
              <tr key={k} data-file={k}>
                <td>{k}</td>
                <td>{v}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

export function ResourcesTab({ detail, reload }: { detail: ContainerDetail; reload: () => void }) {
  const host = useStore((s) => s.host);
  const [res, setRes] = useState<ResourceSpec>(detail.resources);
  const [cg, setCg] = useState<CgroupValues>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const [done, setDone] = useState<string>();
  const readCg = useCallback(() => {
    bridge.invoke('containers/cgroup', detail.id).then(setCg, (e: unknown) => setError(errorText(e)));
  }, [detail.id]);
  useEffect(() => {
    setRes(detail.resources);
    readCg();
  }, [detail.id, detail.resources, readCg]);
  const errors = validateResources(res, host);
  if (detail.resources.memory > 0 && res.memory === 0) {
    errors.memory =
      'A running container’s memory limit can be changed but not removed; recreate it to lift it.';
  }
  const dirty = JSON.stringify(res) !== JSON.stringify(detail.resources);
  const apply = async () => {
    setBusy(true);
    setError(undefined);
    setDone(undefined);
    try {
      const r = await bridge.invoke('containers/update', detail.id, res);
      setDone(r.warnings.length ? r.warnings.join(' ') : 'Applied — no restart needed.');
      reload();
      readCg();
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="resources-tab">
      <div className="card">
        <h3 className="section-title">Limits</h3>
        <ResourceFields value={res} onChange={setRes} host={host} errors={errors} />
        {error && <ErrorNote onClose={() => setError(undefined)}>{error}</ErrorNote>}
        <div className="modal-actions">
          {done && <span className="ok-note">{done}</span>}
          <button className="btn" disabled={!dirty || busy} onClick={() => setRes(detail.resources)}>
            Reset
          </button>
          <button
            className="btn primary"
            disabled={!dirty || busy || Object.keys(errors).length > 0}
            onClick={() => void apply()}
            data-testid="apply-resources"
          >
            {busy ? 'Applying…' : 'Apply'}
          </button>
        </div>
      </div>
      <div className="card">
        <h3 className="section-title">
          What the kernel has now{' '}
          <button className="link-btn" onClick={readCg}>
            refresh
          </button>
        </h3>
        <CgroupTable cg={cg} />
      </div>
    </div>
  );
}
