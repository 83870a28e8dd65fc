// The registry channels of the bridge: the engine's registry settings and
// data root (from /info, read-only: they come from daemon flags or
// daemon.json), sign-in through POST /auth (the engine checks the
// credentials against the registry and stores them), and — for the embedded
// engine only, whose <data-root>/auth.json is on this host — the list of
// stored sign-ins (server and username, never secrets) and sign-out.
import type Dockerode from 'dockerode';
import { FileAuthStore, normalizeRegistryKey } from '../../../engine/registry/auth.js';
import type { RegistryLogin, RegistrySettings } from '../../shared/types.js';
import type { Endpoints } from './endpoints.js';
import type { Handlers } from './handlers.js';

type RegistryHandlers = Pick<
  Handlers,
  'registries/settings' | 'registries/logins' | 'registries/login' | 'registries/logout'
>;

interface InfoRegistry {
  DockerRootDir?: string;
  RegistryConfig?: {
    InsecureRegistryCIDRs?: string[] | null;
    IndexConfigs?: Record<string, { Name?: string; Secure?: boolean; Mirrors?: string[] | null }> | null;
    Mirrors?: string[] | null;
  } | null;
}

export function settingsFromInfo(info: InfoRegistry): RegistrySettings {
  const rc = info.RegistryConfig ?? {};
  const insecure = [...(rc.InsecureRegistryCIDRs ?? [])];
  for (const [name, ic] of Object.entries(rc.IndexConfigs ?? {})) {
    if (ic.Secure === false && !insecure.includes(ic.Name ?? name)) insecure.push(ic.Name ?? name);
  }
  return {
    insecureRegistries: insecure,
    mirrors: [...(rc.Mirrors ?? [])],
    dataRoot: info.DockerRootDir ?? '',
  };
}

export function registryHandlers(d: () => Dockerode, eps: Endpoints): RegistryHandlers {
  /** The embedded engine's credential file, or undefined for any other endpoint. */
  const store = async (): Promise<FileAuthStore | undefined> => {
    if (eps.active.kind !== 'embedded') return undefined;
    const root = ((await d().info()) as InfoRegistry).DockerRootDir;
    return root ? new FileAuthStore(root) : undefined;
  };
  return {
    'registries/settings': async () => settingsFromInfo((await d().info()) as InfoRegistry),
    'registries/logins': async () => {
      const s = await store();
      if (!s) return { available: false, logins: [] };
      const logins: RegistryLogin[] = [];
      for (const server of await s.list()) {
        const c = await s.get(server);
        logins.push({ server, username: c?.username ?? '' });
      }
      logins.sort((a, b) => a.server.localeCompare(b.server));
      return { available: true, logins };
    },
    'registries/login': async (input) => {
      const server = input.server.trim();
      if (!server) throw new Error('Enter the registry address, like localhost:5000 or docker.io.');
      if (!input.username.trim()) throw new Error('Enter a username.');
      if (!input.password) throw new Error('Enter a password.');
      const res = (await d().checkAuth({
        serveraddress: server,
        username: input.username.trim(),
        password: input.password,
      })) as { Status?: string } | undefined;
      return { status: res?.Status || 'Login Succeeded' };
    },
    'registries/logout': async (server) => {
      const s = await store();
      if (!s) throw new Error('Sign-out needs the embedded engine (use `docker logout` for others).');
      const key = normalizeRegistryKey(server);
      if (!(await s.list()).some((k) => normalizeRegistryKey(k) === key)) {
        throw new Error(`Not signed in to ${server}.`);
      }
      await s.delete(key);
    },
  };
}
