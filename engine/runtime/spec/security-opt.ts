// HostConfig.SecurityOpt: "no-new-privileges[:true|=true]", "seccomp=unconfined",
// "seccomp=<profile JSON>" (the docker CLI sends the file's content),
// "systempaths=unconfined", and the
// AppArmor/SELinux options, which are accepted and ignored (Wharf applies
// neither LSM yet).
import { wharfError } from '../../errors.js';
import type { SeccompProfile } from './seccomp.js';

export interface SecurityOptions {
  noNewPrivileges: boolean;
  /** 'default', 'unconfined', or a custom profile in Docker's format. */
  seccomp: 'default' | 'unconfined' | SeccompProfile;
  /** "systempaths=unconfined": no masked or read-only /proc and /sys paths. */
  systemPathsUnconfined: boolean;
}

function parseBool(v: string, opt: string): boolean {
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw wharfError('INVALID_CONFIG', `invalid --security-opt ${opt}: expected true or false`);
}

export function parseSecurityOpt(opts: readonly string[] | null | undefined): SecurityOptions {
  const out: SecurityOptions = { noNewPrivileges: false, seccomp: 'default', systemPathsUnconfined: false };
  for (const opt of opts ?? []) {
    if (opt === 'no-new-privileges') {
      out.noNewPrivileges = true;
      continue;
    }
    const m = /^([a-z-]+)[=:](.*)$/s.exec(opt);
    if (!m) throw wharfError('INVALID_CONFIG', `invalid --security-opt: ${opt}`);
    const [, key, value = ''] = m;
    switch (key) {
      case 'no-new-privileges':
        out.noNewPrivileges = parseBool(value, opt);
        break;
      case 'seccomp':
        if (value === 'unconfined') out.seccomp = 'unconfined';
        else if (value === 'builtin' || value === 'default') out.seccomp = 'default';
        else {
          try {
            out.seccomp = JSON.parse(value) as SeccompProfile;
          } catch (err) {
            throw wharfError('INVALID_CONFIG', 'decoding seccomp profile failed: not JSON', err);
          }
          if (typeof out.seccomp !== 'object' || out.seccomp === null || !('defaultAction' in out.seccomp)) {
            throw wharfError('INVALID_CONFIG', 'decoding seccomp profile failed: no defaultAction');
          }
        }
        break;
      case 'systempaths':
        if (value !== 'unconfined') throw wharfError('INVALID_CONFIG', `invalid --security-opt: ${opt}`);
        out.systemPathsUnconfined = true;
        break;
      case 'apparmor':
      case 'label':
        break;
      default:
        throw wharfError('INVALID_CONFIG', `invalid --security-opt: ${opt}`);
    }
  }
  return out;
}
