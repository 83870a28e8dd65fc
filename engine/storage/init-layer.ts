// The init layer: a read-only layer above the image holding the files Docker
// generates per container (/etc/hostname, /etc/hosts, /etc/resolv.conf), the
// mount points the runtime needs (/proc, /sys, /dev/pts, /dev/shm) and
// /etc/mtab -> /proc/mounts, as Docker's init layer does.
import { existsSync } from 'node:fs';
import { chmod, mkdir, open, readFile, rename, symlink, lstat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isErrno } from '../errors.js';
import type { InitLayerOptions } from './index.js';

const SYSTEMD_RESOLVED_STUB = '127.0.0.53';
const SYSTEMD_RESOLVED_UPSTREAM = '/run/systemd/resolve/resolv.conf';
const DEFAULT_NAMESERVERS = ['8.8.8.8', '8.8.4.4'];

function isLoopback(addr: string): boolean {
  const a = addr.split('%')[0] ?? addr;
  return /^127\./.test(a) || a === '::1' || /^0*:0*:0*:0*:0*:0*:0*:0*1$/.test(a);
}

/**
 * Docker's container resolv.conf: the host's file minus loopback nameservers
 * (they would point into the container itself); if none remain, Google's
 * public resolvers. --dns/--dns-search/--dns-option replace the host's lines.
 */
export function renderResolvConf(
  host: string,
  opts: Pick<InitLayerOptions, 'dns' | 'dnsSearch' | 'dnsOptions'> = {},
): string {
  const lines = host.split('\n');
  const field = (l: string): string[] => l.trim().split(/\s+/);
  const hostNameservers = lines.filter((l) => field(l)[0] === 'nameserver').map((l) => field(l)[1] ?? '');
  const overridden =
    (opts.dns?.length ?? 0) > 0 || (opts.dnsSearch?.length ?? 0) > 0 || (opts.dnsOptions?.length ?? 0) > 0;
  if (!overridden) {
    const kept = lines.filter((l) => !(field(l)[0] === 'nameserver' && isLoopback(field(l)[1] ?? '')));
    const out = kept.join('\n').replace(/\n*$/, '\n');
    const remaining = hostNameservers.filter((n) => n && !isLoopback(n));
    if (remaining.length > 0) return out;
    return out.replace(/^\n$/, '') + DEFAULT_NAMESERVERS.map((n) => `nameserver ${n}\n`).join('');
  }
  const lastOf = (key: string): string[] => {
    const line = lines.filter((l) => field(l)[0] === key).pop();
    return line ? field(line).slice(1) : [];
  };
  const nameservers = opts.dns?.length ? opts.dns : hostNameservers.filter((n) => n && !isLoopback(n));
  const search = opts.dnsSearch?.length ? opts.dnsSearch.filter((s) => s !== '.') : lastOf('search');
  const options = opts.dnsOptions?.length ? opts.dnsOptions : lastOf('options');
  let out = '';
  if (search.length) out += `search ${search.join(' ')}\n`;
  for (const n of nameservers.length ? nameservers : DEFAULT_NAMESERVERS) out += `nameserver ${n}\n`;
  if (options.length) out += `options ${options.join(' ')}\n`;
  return out;
}

/** Docker's container /etc/hosts. */
export function renderHosts(
  opts: Pick<InitLayerOptions, 'hostname' | 'domainname' | 'ip' | 'extraHosts'>,
): string {
  let out =
    '127.0.0.1\tlocalhost\n' +
    '::1\tlocalhost ip6-localhost ip6-loopback\n' +
    'fe00::0\tip6-localnet\n' +
    'ff00::0\tip6-mcastprefix\n' +
    'ff02::1\tip6-allnodes\n' +
    'ff02::2\tip6-allrouters\n';
  for (const entry of opts.extraHosts ?? []) {
    const sep = entry.search(/[:=]/);
    if (sep <= 0) throw new Error(`invalid extra host "${entry}": expected name:ip`);
    out += `${entry.slice(sep + 1)}\t${entry.slice(0, sep)}\n`;
  }
  if (opts.ip) {
    const names = opts.domainname ? `${opts.hostname}.${opts.domainname} ${opts.hostname}` : opts.hostname;
    out += `${opts.ip}\t${names}\n`;
  }
  return out;
}

/** The host resolv.conf to start from, following systemd-resolved to its upstream file. */
export async function readHostResolvConf(path = '/etc/resolv.conf'): Promise<string> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return '';
    throw err;
  }
  const ns = text.split('\n').filter((l) => /^\s*nameserver\s/.test(l));
  if (ns.length === 1 && ns[0]?.includes(SYSTEMD_RESOLVED_STUB) && existsSync(SYSTEMD_RESOLVED_UPSTREAM)) {
    return readFile(SYSTEMD_RESOLVED_UPSTREAM, 'utf8');
  }
  return text;
}

/** Replaces a file's content in place (same inode), so a mounted overlay sees it. */
async function rewrite(path: string, content: string): Promise<void> {
  try {
    const st = await lstat(path);
    if (st.isFile()) {
      const fh = await open(path, 'r+');
      try {
        await fh.truncate(0);
        await fh.write(content, 0, 'utf8');
        await fh.sync();
      } finally {
        await fh.close();
      }
      return;
    }
    await unlink(path);
  } catch (err) {
    if (!isErrno(err, 'ENOENT')) throw err;
  }
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, content, { mode: 0o644 });
  await rename(tmp, path);
}

/** Writes the init layer's /etc files (creating or updating them). */
export async function writeInitFiles(initDir: string, init: InitLayerOptions): Promise<void> {
  const etc = join(initDir, 'etc');
  const [host] = await Promise.all([
    readHostResolvConf(init.hostResolvConf),
    mkdir(etc, { recursive: true, mode: 0o755 }),
  ]);
  await Promise.all([
    rewrite(join(etc, 'hostname'), `${init.hostname}\n`),
    rewrite(join(etc, 'hosts'), renderHosts(init)),
    rewrite(join(etc, 'resolv.conf'), renderResolvConf(host, init)),
  ]);
}

/** Creates the init layer: mount points, /etc/mtab, and the /etc files. */
export async function createInitLayer(initDir: string, init: InitLayerOptions): Promise<void> {
  await mkdir(initDir, { recursive: true, mode: 0o755 });
  await Promise.all([
    chmod(initDir, 0o755),
    mkdir(join(initDir, 'dev/pts'), { recursive: true, mode: 0o755 }),
    mkdir(join(initDir, 'dev/shm'), { recursive: true, mode: 0o755 }),
    mkdir(join(initDir, 'proc'), { recursive: true, mode: 0o755 }),
    mkdir(join(initDir, 'sys'), { recursive: true, mode: 0o755 }),
    mkdir(join(initDir, 'etc'), { recursive: true, mode: 0o755 }),
  ]);
  try {
    await symlink('/proc/mounts', join(initDir, 'etc/mtab'));
  } catch (err) {
    if (!isErrno(err, 'EEXIST')) throw err;
  }
  await writeInitFiles(initDir, init);
}
