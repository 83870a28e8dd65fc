// Settings › Registries: sign in (POST /auth, the engine checks and stores
// the credentials), the registries with stored credentials and sign-out
// (embedded engine only), and the engine's registry settings and data root
// as it reports them (read-only: they come from daemon flags/daemon.json).
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import type { RegistryLogins, RegistrySettings } from '../../../../shared/ipc.js';
import { bridge, errorText } from '../../bridge/index.js';
import { ErrorNote } from '../../components/common.js';

export function RegistriesCard({ endpointId }: { endpointId: string | undefined }) {
  const [logins, setLogins] = useState<RegistryLogins>();
  const [server, setServer] = useState('');
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const [ok, setOk] = useState<string>();

  const reload = useCallback(async () => {
    try {
      setLogins(await bridge.invoke('registries/logins'));
    } catch (err) {
      setError(errorText(err));
    }
  }, []);
  useEffect(() => {
    void reload();
  }, [reload, endpointId]);

  const signIn = async (e: FormEvent) => {
    e.preventDefault();
    setError(undefined);
    setOk(undefined);
    setBusy(true);
    try {
      const r = await bridge.invoke('registries/login', { server, username, password });
      setOk(`${r.status} (${server.trim()}).`);
      setPassword('');
      await reload();
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  const signOut = async (s: string) => {
    setError(undefined);
    setOk(undefined);
    try {
      await bridge.invoke('registries/logout', s);
      setOk(`Signed out of ${s}.`);
      await reload();
    } catch (err) {
      setError(errorText(err));
    }
  };

  return (
    <div className="card registries">
      <h3 className="section-title">Registries</h3>
      {error && <ErrorNote onClose={() => setError(undefined)}>{error}</ErrorNote>}
      {ok && (
        <div className="ok-note" role="status">
          {ok}
        </div>
      )}
      {logins?.available && (
        <ul className="endpoints" aria-label="Signed-in registries">
          {logins.logins.length === 0 && <li className="muted">Not signed in to any registry.</li>}
          {logins.logins.map((l) => (
            <li key={l.server}>
              <div>
                <b className="mono">{l.server}</b>
                <div className="small muted">as {l.username || '?'}</div>
              </div>
              <button className="btn small danger" onClick={() => void signOut(l.server)}>
                Sign out
              </button>
            </li>
          ))}
        </ul>
      )}
      {logins && !logins.available && (
        <p className="small muted">
          Stored sign-ins are listed for the embedded engine only; this engine keeps its own (use{' '}
          <code>docker logout</code> there).
        </p>
      )}
      <form className="registry-form" onSubmit={signIn} aria-label="Sign in to a registry">
        <input
          placeholder="Registry (localhost:5000, docker.io)"
          aria-label="Registry"
          value={server}
          onChange={(e) => setServer(e.target.value)}
        />
        <input
          placeholder="Username"
          aria-label="Username"
          autoComplete="username"
          value={username}
          onChange={(e) => setUsername(e.target.value)}
        />
        <input
          type="password"
          placeholder="Password or token"
          aria-label="Password"
          autoComplete="current-password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
        <button className="btn primary" disabled={busy || !server || !username || !password}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </div>
  );
}

export function RegistrySettingsCard({ endpointId }: { endpointId: string | undefined }) {
  const [s, setS] = useState<RegistrySettings>();
  const [error, setError] = useState<string>();
  useEffect(() => {
    let live = true;
    bridge.invoke('registries/settings').then(
      (v) => {
        if (!live) return;
        setS(v);
        setError(undefined);
      },
      (err: unknown) => {
        if (live) setError(errorText(err));
      },
    );
    return () => {
      live = false;
    };
  }, [endpointId]);
  const list = (xs: string[] | undefined) =>
    xs && xs.length > 0 ? (
      <b className="mono">{xs.join(', ')}</b>
    ) : (
      <b className="muted">{xs ? 'none' : '…'}</b>
    );
  return (
    <div className="card">
      <h3 className="section-title">Engine storage and registries</h3>
      {error && <ErrorNote>{error}</ErrorNote>}
      <div className="kv-grid" aria-label="Engine registry settings">
        <span>Data root</span>
        <b className="mono" data-testid="data-root">
          {s ? s.dataRoot || '?' : '…'}
        </b>
        <span>Insecure registries</span>
        <span data-testid="insecure-registries">{list(s?.insecureRegistries)}</span>
        <span>Mirrors</span>
        <span data-testid="registry-mirrors">{list(s?.mirrors)}</span>
      </div>
      <p className="small muted">
        The engine reads these when it starts and cannot change them while running. Set them with its flags (
        <code>--data-root</code>, <code>--insecure-registry</code>, <code>--registry-mirror</code>) or in{' '}
        <code>daemon.json</code> (<code>data-root</code>, <code>insecure-registries</code>,{' '}
        <code>registry-mirrors</code>), then restart the engine.
      </p>
    </div>
  );
}
