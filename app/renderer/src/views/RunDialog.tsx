// Run a container: image (with local tags), name, command, env, ports,
// volumes, restart policy and resource sliders.
import { useEffect, useMemo, useState, type FormEvent } from 'react';
import type { ResourceSpec, RestartPolicy } from '../../../shared/ipc.js';
import { bridge, errorText } from '../bridge/index.js';
import { Modal, ErrorNote } from '../components/common.js';
import { DEFAULT_RESOURCES, ResourceFields, validateResources } from '../components/ResourceFields.js';
import { closeRun, openDetail } from '../store/actions.js';
import { useStore } from '../store/index.js';
import { preloadContainerDetailView } from './lazy.js';

function lines(s: string): string[] {
  return s
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
}

/** Shell-like split of the command box. */
function words(s: string): string[] {
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g;
  for (let m = re.exec(s); m; m = re.exec(s)) out.push(m[1] ?? m[2] ?? m[3] ?? '');
  return out;
}

export function RunDialog() {
  const images = useStore((s) => s.images);
  const host = useStore((s) => s.host);
  const initial = useStore((s) => s.runImage);
  const [image, setImage] = useState(initial);
  const [name, setName] = useState('');
  const [cmd, setCmd] = useState('');
  const [env, setEnv] = useState('');
  const [ports, setPorts] = useState('');
  const [volumes, setVolumes] = useState('');
  const [restart, setRestart] = useState<RestartPolicy>('no');
  const [tty, setTty] = useState(false);
  const [res, setRes] = useState<ResourceSpec>(DEFAULT_RESOURCES);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  // A run ends in the container's view: have its code ready by then.
  useEffect(preloadContainerDetailView, []);
  const tags = useMemo(() => images.flatMap((i) => i.tags).sort(), [images]);
  const errors = validateResources(res, host);
  const fieldErrors: string[] = [];
  if (name && !/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(name)) fieldErrors.push('name');
  const envBad = lines(env).find((l) => !/^[^=\s]+=/.test(l));
  const portBad = lines(ports).find(
    (l) => !/^((\d{1,3}\.){3}\d{1,3}:)?(\d+:)?\d+(\/(tcp|udp|sctp))?$/.test(l),
  );
  // source:/path[:ro] (source: a host path or a volume name), or /path alone for an anonymous volume.
  const volBad = lines(volumes).find((l) => l.split(':').length < 2 && !/^\/\S*$/.test(l));
  const invalid =
    !image.trim() ||
    fieldErrors.length > 0 ||
    !!envBad ||
    !!portBad ||
    !!volBad ||
    Object.keys(errors).length > 0;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (invalid || busy) return;
    setBusy(true);
    setError(undefined);
    try {
      const r = await bridge.invoke('containers/run', {
        image: image.trim(),
        ...(name ? { name } : {}),
        cmd: words(cmd),
        env: lines(env),
        ports: lines(ports),
        volumes: lines(volumes),
        restart,
        tty,
        resources: res,
      });
      closeRun();
      openDetail(r.id, 'overview', r.detail);
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal title="Run a container" onClose={closeRun} wide>
      <form className="run-form" onSubmit={submit}>
        <div className="run-cols">
          <div className="run-col">
            <label className="field">
              <span>Image</span>
              <input
                name="image"
                list="local-tags"
                value={image}
                autoFocus
                placeholder="busybox:latest"
                onChange={(e) => setImage(e.target.value)}
              />
              <datalist id="local-tags">
                {tags.map((t) => (
                  <option key={t} value={t} />
                ))}
              </datalist>
              {tags.length === 0 && (
                <small className="muted">No local images yet — pull one from Images.</small>
              )}
            </label>
            <label className="field">
              <span>Name</span>
              <input
                name="name"
                value={name}
                placeholder="random if empty"
                onChange={(e) => setName(e.target.value)}
              />
              {fieldErrors.includes('name') && (
                <small className="field-error">
                  Letters, digits, “_”, “.”, “-”; start with a letter or digit.
                </small>
              )}
            </label>
            <label className="field">
              <span>Command</span>
              <input
                name="command"
                value={cmd}
                placeholder="the image's default"
                onChange={(e) => setCmd(e.target.value)}
              />
            </label>
            <label className="field">
              <span>Environment</span>
              <textarea
                name="env"
                rows={2}
                value={env}
                placeholder="KEY=value, one per line"
                onChange={(e) => setEnv(e.target.value)}
              />
              {envBad && <small className="field-error">“{envBad}” should look like KEY=value.</small>}
            </label>
            <div className="field-pair">
              <label className="field">
                <span>Ports</span>
                <textarea
                  name="ports"
                  rows={2}
                  value={ports}
                  placeholder="8080:80"
                  onChange={(e) => setPorts(e.target.value)}
                />
                {portBad && (
                  <small className="field-error">“{portBad}”: use host:container, e.g. 8080:80.</small>
                )}
              </label>
              <label className="field">
                <span>Volumes</span>
                <textarea
                  name="volumes"
                  rows={2}
                  value={volumes}
                  placeholder={'mydata:/data\n/host/dir:/srv:ro'}
                  onChange={(e) => setVolumes(e.target.value)}
                />
                {volBad && (
                  <small className="field-error">
                    “{volBad}”: use volume-name:/container/path or /host/path:/container/path.
                  </small>
                )}
              </label>
            </div>
            <div className="field-pair">
              <label className="field">
                <span>Restart policy</span>
                <select
                  name="restart"
                  value={restart}
                  onChange={(e) => setRestart(e.target.value as RestartPolicy)}
                >
                  <option value="no">No (default)</option>
                  <option value="on-failure">On failure</option>
                  <option value="unless-stopped">Unless stopped</option>
                  <option value="always">Always</option>
                </select>
              </label>
              <label className="field check">
                <input type="checkbox" checked={tty} onChange={(e) => setTty(e.target.checked)} />
                <span>Allocate a TTY</span>
              </label>
            </div>
          </div>
          <div className="run-col">
            <h3 className="section-title">Resources</h3>
            <ResourceFields value={res} onChange={setRes} host={host} errors={errors} />
          </div>
        </div>
        {error && <ErrorNote onClose={() => setError(undefined)}>{error}</ErrorNote>}
        <div className="modal-actions">
          <button type="button" className="btn" onClick={closeRun}>
            Cancel
          </button>
          <button type="submit" className="btn primary" disabled={invalid || busy} data-testid="run-submit">
            {busy ? 'Starting…' : 'Run'}
          </button>
        </div>
      </form>
    </Modal>
  );
}
