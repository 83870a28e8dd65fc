// Shared by the wharf-untar tests: runs the built helper on a tar and sets up
// a sandbox with canaries outside the target directory.
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isRoot } from '../../engine/testing/busybox.js';

/** The built helper, or $WHARF_UNTAR (as the engine uses). */
export const UNTAR =
  process.env.WHARF_UNTAR ?? fileURLToPath(new URL('../build/Release/wharf-untar', import.meta.url));

export function haveUntar(): boolean {
  return existsSync(UNTAR);
}

/** Why the wharf-untar suites cannot run here (printed), or false. */
export function untarSkip(suite: string): string | false {
  const skip = !isRoot()
    ? 'needs root (mount namespace, chown, mknod)'
    : !haveUntar()
      ? 'wharf-untar not built'
      : false;
  if (skip) console.log(`# skipping ${suite} tests: ${skip}`);
  return skip;
}

export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function runUntar(args: string[], input?: Buffer): RunResult {
  const r = spawnSync(UNTAR, args, { input, maxBuffer: 256 << 20 });
  return { status: r.status, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

export function runUntarRaw(args: string[]): { status: number | null; stdout: Buffer; stderr: string } {
  const r = spawnSync(UNTAR, args, { maxBuffer: 256 << 20 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr.toString() };
}

/**
 * base/canary (a file), base/outside/ (an empty dir) and base/target/ (the
 * extraction dir). `check()` asserts nothing outside target changed.
 */
export class Sandbox {
  readonly base: string;
  readonly canary: string;
  readonly outside: string;
  readonly target: string;
  private readonly canaryStat: { mode: number; uid: number; gid: number; nlink: number; mtimeMs: number };

  constructor() {
    this.base = mkdtempSync('/tmp/wharf-untar-test-');
    this.canary = join(this.base, 'canary');
    this.outside = join(this.base, 'outside');
    this.target = join(this.base, 'target');
    writeFileSync(this.canary, 'canary\n', { mode: 0o644 });
    mkdirSync(this.outside);
    mkdirSync(this.target, { mode: 0o755 });
    const st = statSync(this.canary);
    this.canaryStat = { mode: st.mode, uid: st.uid, gid: st.gid, nlink: st.nlink, mtimeMs: st.mtimeMs };
  }

  /** Names of everything outside the target that changed (empty when intact). */
  changes(): string[] {
    const out: string[] = [];
    const names = readdirSync(this.base).sort();
    if (names.join(',') !== 'canary,outside,target') out.push(`base now holds ${names.join(',')}`);
    if (readdirSync(this.outside).length !== 0)
      out.push(`outside/ now holds ${readdirSync(this.outside).join(',')}`);
    if (!existsSync(this.canary)) return [...out, 'canary removed'];
    const st = statSync(this.canary);
    if (readFileSync(this.canary, 'utf8') !== 'canary\n') out.push('canary content changed');
    if (st.mode !== this.canaryStat.mode) out.push(`canary mode ${st.mode.toString(8)}`);
    if (st.uid !== this.canaryStat.uid || st.gid !== this.canaryStat.gid) out.push('canary owner changed');
    if (st.nlink !== this.canaryStat.nlink) out.push(`canary nlink ${st.nlink}`);
    if (st.mtimeMs !== this.canaryStat.mtimeMs) out.push('canary mtime changed');
    return out;
  }

  dispose(): void {
    rmSync(this.base, { recursive: true, force: true });
  }
}
