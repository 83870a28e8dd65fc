// Settings: engine endpoints (embedded + user-added), switchable; registry
// sign-in; the engine's registry settings and data root; theme.
import { useState, type FormEvent } from 'react';
import type { EndpointInput } from '../../../shared/ipc.js';
import { bridge, errorText } from '../bridge/index.js';
import { useStore } from '../store/index.js';
import { loadHost } from '../store/actions.js';
import { ErrorNote } from '../components/common.js';
import { bytes } from '../lib/format.js';
import { RegistriesCard, RegistrySettingsCard } from './settings/RegistriesCard.js';
import { ThemeCard } from './settings/ThemeCard.js';

export function SettingsView() {
  const endpoints = useStore((s) => s.endpoints);
  const host = useStore((s) => s.host);
  const activeId = endpoints.find((ep) => ep.active)?.id;
  const [kind, setKind] = useState<EndpointInput['kind']>('unix');
  const [name, setName] = useState('');
  const [address, setAddress] = useState('');
  const [error, setError] = useState<string>();
  const add = async (e: FormEvent) => {
    e.preventDefault();
    setError(undefined);
    try {
      await bridge.invoke('endpoints/add', { name, kind, address });
      setName('');
      setAddress('');
      await loadHost();
    } catch (err) {
      setError(errorText(err));
    }
  };
  const act = (p: Promise<unknown>) => p.then(loadHost, (e: unknown) => setError(errorText(e)));
  return (
    <section className="view">
      <header className="view-head">
        <h1>Settings</h1>
      </header>
      <div className="settings">
        <div className="card">
          <h3 className="section-title">Engine</h3>
          {host ? (
            <div className="kv-grid">
              <span>Name</span>
              <b>{host.name}</b>
              <span>Version</span>
              <b>{host.serverVersion}</b>
              <span>OS / kernel</span>
              <b>
                {host.operatingSystem} · {host.kernelVersion}
              </b>
              <span>Resources</span>
              <b>
                {host.ncpu} CPUs · {bytes(host.memTotal)}
              </b>
              <span>Kernel features</span>
              <b>
                {host.cgroupVersion ? `cgroup v${host.cgroupVersion}` : '?'} · {host.driver || '?'}
              </b>
            </div>
          ) : (
            <div className="muted">Not connected.</div>
          )}
        </div>
        <div className="card">
          <h3 className="section-title">Endpoints</h3>
          {error && <ErrorNote onClose={() => setError(undefined)}>{error}</ErrorNote>}
          <ul className="endpoints">
            {endpoints.map((ep) => (
              <li key={ep.id} className={ep.active ? 'active' : ''}>
                <div>
                  <b>{ep.name}</b> <span className="pill">{ep.kind}</span>
                  <div className="mono small muted">{ep.address}</div>
                  {ep.error && <div className="field-error">{ep.error}</div>}
                </div>
                <div className="row-actions">
                  {ep.active ? (
                    <span className="pill on">active</span>
                  ) : (
                    <>
                      <button
                        className="btn small"
                        onClick={() => void act(bridge.invoke('endpoints/select', ep.id))}
                      >
                        Use
                      </button>
                      {ep.kind !== 'embedded' && (
                        <button
                          className="btn small danger"
                          onClick={() => void act(bridge.invoke('endpoints/remove', ep.id))}
                        >
                          Remove
                        </button>
                      )}
                    </>
                  )}
                </div>
              </li>
            ))}
          </ul>
          <form className="endpoint-form" onSubmit={add}>
            <select
              value={kind}
              onChange={(e) => setKind(e.target.value as EndpointInput['kind'])}
              aria-label="Kind"
            >
              <option value="unix">Unix socket</option>
              <option value="tcp">TCP (+TLS)</option>
              <option value="ssh">SSH</option>
            </select>
            <input placeholder="Name" value={name} onChange={(e) => setName(e.target.value)} />
            <input
              placeholder={
                kind === 'unix'
                  ? '/var/run/docker.sock'
                  : kind === 'tcp'
                    ? 'tcp://host:2376'
                    : 'ssh://user@host'
              }
              value={address}
              onChange={(e) => setAddress(e.target.value)}
            />
            <button className="btn primary" disabled={!name || !address}>
              Add
            </button>
          </form>
        </div>
        <RegistriesCard endpointId={activeId} />
        <RegistrySettingsCard endpointId={activeId} />
        <ThemeCard />
      </div>
    </section>
  );
}
