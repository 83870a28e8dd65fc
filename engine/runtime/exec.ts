// `docker exec`: a second shim in exec mode runs `runtime exec --process
// process.json`, which joins every namespace and the cgroup of the running
// container. The process starts at once, so output written before a client
// attaches is only in the exec's json log (<exec state dir>/exec-json.log);
// output() reads it after the fact.
import { randomBytes } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { wharfError } from '../errors.js';
import { AttachClient } from './attach.js';
import { held, watchExit, type ExitWatch } from './exit-watcher.js';
import { readLogText } from './json-log.js';
import { SHIM_FILES, spawnShim } from './shim-client.js';
import { mergeEnv } from './merge-config.js';
import type { OciProcess, OciSpec } from './spec/oci-types.js';
import type { ResolvedUser } from './spec/user.js';
import type { ExecOptions, ExitStatus } from './types.js';

export interface ExecHandle {
  readonly id: string;
  readonly containerId: string;
  readonly pid: number;
  /** Resolves when the exec'd process exits. */
  readonly exited: Promise<ExitStatus>;
  attach(): Promise<AttachClient>;
  /** Everything the process wrote so far (complete once `exited` resolved). */
  output(): Promise<{ stdout: string; stderr: string }>;
}

export interface ExecStartOptions {
  containerId: string;
  stateDir: string;
  /** The container's config.json: the exec inherits its process settings. */
  spec: OciSpec;
  opts: ExecOptions;
  /** opts.user resolved against the container's /etc/passwd (spec/user.ts). */
  user?: ResolvedUser;
  shim: { shimPath: string; runtimePath: string; runtimeRoot: string; bundle: string };
}

/** process.json for an exec: the container's process, with the exec's args, env, cwd, user, tty. */
export function execProcess(spec: OciSpec, opts: ExecOptions, user?: ResolvedUser): OciProcess {
  const base = spec.process;
  const proc: OciProcess = {
    ...base,
    terminal: opts.tty === true,
    args: opts.cmd,
    env: mergeEnv(base.env, opts.env ?? []),
    cwd: opts.workingDir || base.cwd,
    user: user ? { uid: user.uid, gid: user.gid, additionalGids: user.additionalGids } : base.user,
  };
  delete proc.consoleSize;
  if (opts.privileged && base.capabilities) {
    const all = [
      ...new Set([
        ...base.capabilities.bounding,
        ...base.capabilities.permitted,
        ...base.capabilities.effective,
      ]),
    ];
    proc.capabilities = { bounding: all, effective: all, permitted: all };
  }
  return proc;
}

export class ExecSession implements ExecHandle, Disposable {
  /** Like `exited` without holding the event loop open (for internal listeners). */
  readonly exit: Promise<ExitStatus>;

  private constructor(
    readonly id: string,
    readonly containerId: string,
    readonly pid: number,
    private readonly stateDir: string,
    private readonly watch: ExitWatch,
  ) {
    this.exit = watch.exited;
  }

  get exited(): Promise<ExitStatus> {
    return held(this.exit);
  }

  static async start(o: ExecStartOptions): Promise<ExecSession> {
    const id = o.stateDir.split('/').pop() ?? randomBytes(16).toString('hex');
    await mkdir(o.stateDir, { recursive: true, mode: 0o700 });
    const processFile = join(o.stateDir, 'process.json');
    await writeFile(processFile, JSON.stringify(execProcess(o.spec, o.opts, o.user)), { mode: 0o600 });
    const pid = await spawnShim({
      ...o.shim,
      id: o.containerId,
      stateDir: o.stateDir,
      logPath: join(o.stateDir, 'exec-json.log'),
      terminal: o.opts.tty === true,
      stdin: o.opts.stdin === true,
      execProcess: processFile,
    });
    return new ExecSession(id, o.containerId, pid, o.stateDir, watchExit(o.stateDir, o.containerId));
  }

  attach(): Promise<AttachClient> {
    return AttachClient.connect(join(this.stateDir, SHIM_FILES.attachSocket));
  }

  output(): Promise<{ stdout: string; stderr: string }> {
    return readLogText(join(this.stateDir, 'exec-json.log'));
  }

  /** Removes the state dir (its log and sockets): once the container's task is gone. */
  async remove(): Promise<void> {
    await rm(this.stateDir, { recursive: true, force: true });
  }

  [Symbol.dispose](): void {
    this.watch[Symbol.dispose]();
  }
}

/** The live exec sessions, by exec id. */
export class ExecRegistry implements Disposable {
  private readonly sessions = new Map<string, ExecSession>();

  add(session: ExecSession): void {
    this.sessions.set(session.id, session);
  }

  get(execId: string): ExecSession {
    const s = this.sessions.get(execId);
    if (!s) throw wharfError('EXEC_NOT_FOUND', execId);
    return s;
  }

  /**
   * Stops watching (and forgets) the execs of one container whose task ended,
   * and removes their state dirs (<exec-root>/exec/<key>, not below the container's).
   */
  forget(containerId: string): void {
    for (const [execId, e] of this.sessions) {
      if (e.containerId !== containerId) continue;
      e[Symbol.dispose]();
      this.sessions.delete(execId);
      void e.remove().catch(() => {});
    }
  }

  [Symbol.dispose](): void {
    for (const e of this.sessions.values()) e[Symbol.dispose]();
    this.sessions.clear();
  }
}
