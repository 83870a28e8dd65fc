// `wharf daemon` settings: command-line flags (dockerd's names) merged with
// the config file (Docker's daemon.json keys). As dockerd, a setting given
// both ways is an error.
import { readFileSync } from 'node:fs';
import { isErrno } from '../errors.js';

export interface DaemonOptions {
  hosts: string[];
  dataRoot?: string;
  execRoot?: string;
  insecureRegistries: string[];
  registryMirrors: string[];
  logLevel: 'debug' | 'info' | 'warn' | 'error' | 'fatal';
  group?: string;
  pidfile?: string;
  /** Native binaries (tests, packaging). */
  runtimePath?: string;
  shimPath?: string;
}

export const DEFAULT_HOST = 'unix:///run/wharf/wharf.sock';
export const DEFAULT_CONFIG_FILE = '/etc/wharf/daemon.json';

/** daemon.json key -> option, with the flag name for conflict messages. */
const KEYS: Record<string, { opt: keyof DaemonOptions; flag: string; list?: boolean }> = {
  hosts: { opt: 'hosts', flag: 'host', list: true },
  'data-root': { opt: 'dataRoot', flag: 'data-root' },
  'exec-root': { opt: 'execRoot', flag: 'exec-root' },
  'insecure-registries': { opt: 'insecureRegistries', flag: 'insecure-registry', list: true },
  'registry-mirrors': { opt: 'registryMirrors', flag: 'registry-mirror', list: true },
  'log-level': { opt: 'logLevel', flag: 'log-level' },
  group: { opt: 'group', flag: 'group' },
  pidfile: { opt: 'pidfile', flag: 'pidfile' },
};

const IGNORED = new Set([
  'debug',
  'live-restore',
  'storage-driver',
  'log-driver',
  'log-opts',
  'experimental',
  'features',
  'default-runtime',
  'runtimes',
  'exec-opts',
  'dns',
  'bip',
  'iptables',
  'ip-forward',
]);

/**
 * Merges the config file into the flags. `given` names the flags set on the
 * command line. A missing file is fine unless it was asked for explicitly.
 */
export function mergeConfigFile(
  flags: DaemonOptions,
  given: Set<string>,
  file: string,
  explicit: boolean,
): { options: DaemonOptions; warnings: string[] } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if (isErrno(err, 'ENOENT') && !explicit) return { options: flags, warnings: [] };
    throw new Error(`unable to read the configuration file ${file}: ${(err as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new Error(`unable to configure the daemon with file ${file}: ${(err as Error).message}`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw new Error(`unable to configure the daemon with file ${file}: not a JSON object`);
  }
  const out: DaemonOptions = { ...flags };
  const warnings: string[] = [];
  const conflicts: string[] = [];
  for (const [k, v] of Object.entries(doc as Record<string, unknown>)) {
    const key = KEYS[k];
    if (!key) {
      if (k === 'debug' && v === true && !given.has('log-level')) out.logLevel = 'debug';
      else if (!IGNORED.has(k))
        warnings.push(`configuration key "${k}" is not supported by wharf and is ignored`);
      continue;
    }
    if (given.has(key.flag)) {
      conflicts.push(`${k}: (from flag: ${String(flags[key.opt])}, from file: ${JSON.stringify(v)})`);
      continue;
    }
    if (key.list) {
      if (!Array.isArray(v) || v.some((x) => typeof x !== 'string'))
        throw new Error(`${file}: "${k}" must be a list of strings`);
    } else if (typeof v !== 'string') {
      throw new Error(`${file}: "${k}" must be a string`);
    }
    (out as unknown as Record<string, unknown>)[key.opt] = v;
  }
  if (conflicts.length) {
    throw new Error(
      `unable to configure the Docker daemon with file ${file}: the following directives are specified both as a flag and in the configuration file: ${conflicts.join(', ')}`,
    );
  }
  return { options: out, warnings };
}
