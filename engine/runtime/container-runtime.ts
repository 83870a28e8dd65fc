// The container lifecycle service: Docker-shaped create/start/stop/... over
// an OCI runtime and one wharf-shim per container (DESIGN.md, "Data flow").
//
// Lifecycle of one container:
//
//   create   storage prepares + mounts the rootfs, config.json is written to
//            <exec-root>/c/<id>/bundle, the record is persisted, and
//            a shim runs `runtime create`: the container is `created` and its
//            init waits for start. A failure anywhere undoes every step.
//   start    `runtime start`. Starting an exited container first makes a new
//            task (rootfs mount, bundle, shim) as Docker does.
//   exit     the shim writes exit.json; the service records the status, emits
//            oom/die, deletes the runtime's state (and so the cgroup), unmounts
//            the rootfs and removes the exec-root dir. Only then do waiters resolve.
//   remove   refuses a running container unless forced; removes the rootfs,
//            the record and the log.
//
// Records live in <data-root>/containers/<id>/config.v2.json (atomic writes);
// the exec root holds only what dies with a reboot. open() re-adopts what an
// earlier engine left: live shims stay running, exit.json is applied, and
// half-created leftovers are removed.
//
// Operations on one container are serialised; waiting for an exit is not,
// so stop() and wait() never block remove() or each other.
//
// Helpers: records.ts (record states, persistence), recovery.ts (what open()
// finds), task-driver.ts (a task's rootfs, bundle, shim), signals.ts.
import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { wharfError, type WharfError } from '../errors.js';
import { containerPaths, resolveEnginePaths, type EnginePaths } from '../paths.js';
import { createOverlayStorage, type ContainerStorage } from '../storage/index.js';
import { KeyedLock } from '../util/keyed-lock.js';
import { trace } from '../util/trace.js';
import { AttachClient } from './attach.js';
import { settlesWithin, untilDone, watchExit, type ExitWatch } from './exit-watcher.js';
import { mergeResources } from './merge-config.js';
import { OciRuntime } from './oci-runtime.js';
import {
  exitedState,
  isActive,
  lostState,
  newRecord,
  noteError,
  saveRecord,
  startedState,
} from './records.js';
import { loadRecords, reconciliation, removeOrphans } from './recovery.js';
import { SHIM_FILES } from './shim-client.js';
import { signalNumber, thawsPaused } from './signals.js';
import { defaultSpecBuilder, type SpecBuilder } from './spec-adapter.js';
import { TaskDriver } from './task-driver.js';
import { ExecRegistry, type ExecHandle, type ExecSession } from './exec.js';
import { DEFAULT_NATIVE_DIR, type ContainerRuntimeOptions, type StopOptions } from './options.js';
import { locateCgroupByPath, readCgroupStats, type CgroupStats } from './cgroups/index.js';
import { primeCgroupMove } from './cgroup-prime.js';
import type {
  ContainerEvent,
  ContainerEventName,
  ContainerRecord,
  CreateContainerInput,
  ExecOptions,
  ExitStatus,
  HostConfig,
  RuntimeEvents,
} from './types.js';

export { signalNumber };
export { DEFAULT_NATIVE_DIR, type ContainerRuntimeOptions, type StopOptions } from './options.js';

interface Task {
  watch: ExitWatch;
  /** Resolves after the exit was recorded and the task cleaned up. */
  done: Promise<ExitStatus>;
}

export class ContainerRuntime extends EventEmitter<RuntimeEvents> implements AsyncDisposable {
  readonly paths: EnginePaths;
  readonly runtimePath: string;
  readonly shimPath: string;
  readonly oci: OciRuntime;
  private readonly storage: ContainerStorage;
  private readonly specBuilder: SpecBuilder;
  private readonly driver: TaskDriver;
  private readonly records = new Map<string, ContainerRecord>();
  private readonly tasks = new Map<string, Task>();
  private readonly locks = new KeyedLock();
  private readonly execs = new ExecRegistry();
  /** Ids whose task onExit() already cleaned up without error: remove skips redoing it. */
  private readonly cleaned = new Set<string>();
  private disposed = false;
  /** Damaged records open() skipped (left on disk untouched). */
  readonly recoveryErrors: WharfError[] = [];
  /** Aborted on dispose: pending waits reject instead of hanging. */
  private readonly closing = new AbortController();

  private constructor(opts: ContainerRuntimeOptions) {
    super();
    this.paths = resolveEnginePaths(opts.paths);
    this.runtimePath = opts.runtimePath ?? join(DEFAULT_NATIVE_DIR, 'wharf-runtime');
    this.shimPath = opts.shimPath ?? join(DEFAULT_NATIVE_DIR, 'wharf-shim');
    this.oci = new OciRuntime(this.runtimePath, containerPaths.runtimeRoot(this.paths));
    this.storage = opts.storage ?? createOverlayStorage();
    this.specBuilder = opts.specBuilder ?? defaultSpecBuilder;
    this.driver = new TaskDriver({
      paths: this.paths,
      oci: this.oci,
      storage: this.storage,
      specBuilder: this.specBuilder,
      shimPath: this.shimPath,
      cgroupParent: (opts.cgroupParent ?? '/wharf').replace(/\/+$/, ''),
    });
  }

  /** Opens the store and re-adopts containers an earlier engine left running. */
  static async open(opts: ContainerRuntimeOptions = {}): Promise<ContainerRuntime> {
    const rt = new ContainerRuntime(opts);
    await rt.recover();
    return rt;
  }

  // ---- queries ---------------------------------------------------------

  list(): ContainerRecord[] {
    return this.filter(() => true);
  }

  /** Copies of the records `pred` accepts; only matches are copied, so lookups stay cheap. */
  filter(pred: (rec: Readonly<ContainerRecord>) => boolean): ContainerRecord[] {
    return [...this.records.values()].filter(pred).map((r) => structuredClone(r));
  }

  inspect(id: string): ContainerRecord {
    return structuredClone(this.record(id));
  }

  has(id: string): boolean {
    return this.records.has(id);
  }

  cgroupsPath(id: string): string {
    return this.driver.cgroupsPath(id);
  }

  /** The shim's state dir (shim.pid, exit.json, attach.sock). */
  stateDir(id: string): string {
    return this.driver.stateDir(id);
  }

  // ---- create ----------------------------------------------------------

  async create(input: CreateContainerInput): Promise<ContainerRecord> {
    this.assertOpen();
    primeCgroupMove(); // again in spawnShim: covers the grace period across storage setup
    const rec = newRecord(this.paths, input);
    const id = rec.id;
    if (this.records.has(id) || existsSync(containerPaths.dataDir(this.paths, id))) {
      throw wharfError('CONTAINER_EXISTS', id);
    }
    return this.locked(id, async () => {
      this.records.set(id, rec);
      try {
        await mkdir(containerPaths.dataDir(this.paths, id), { recursive: true, mode: 0o700 });
        await this.driver.prepareRootfs(rec);
        // Persist before the shim exists: a crash from here on leaves a record
        // open() can clean up; before here, a dir without a record (also cleaned).
        await this.save(rec);
        await this.createTask(rec);
        trace('create task');
      } catch (err) {
        await this.destroy(rec).catch(() => {});
        this.records.delete(id);
        throw err;
      }
      this.emitEvent('create', id);
      return structuredClone(rec);
    });
  }

  // ---- start / stop / kill ---------------------------------------------

  /** Starts a created or exited container. Resolves false when it was already running. */
  async start(id: string): Promise<boolean> {
    return this.locked(id, async () => {
      const rec = this.record(id);
      if (rec.state.status === 'running' || rec.state.status === 'paused') return false;
      if (rec.state.status !== 'created' && rec.state.status !== 'exited') {
        throw wharfError('CONTAINER_BUSY', id);
      }
      if (!this.tasks.has(id)) await this.createTask(rec);
      try {
        trace('start oci');
        await this.oci.start(id);
        trace('start oci done');
      } catch (err) {
        await this.driver.killAll(id);
        throw err;
      }
      rec.state = startedState(rec.state);
      await this.save(rec, false);
      this.emitEvent('start', id);
      return true;
    });
  }

  /**
   * Sends the stop signal, then SIGKILL after the timeout; resolves with the
   * exit status (undefined when the container was not running: Docker's 304).
   */
  async stop(id: string, opts: StopOptions = {}): Promise<ExitStatus | undefined> {
    const rec = this.record(id);
    const task = this.tasks.get(id);
    if (!task || !isActive(rec)) return undefined;
    const signal = opts.signal ?? rec.config.StopSignal ?? 'SIGTERM';
    const timeout = opts.timeout ?? rec.config.StopTimeout ?? 10;
    await this.signal(id, signal).catch((err: unknown) => {
      if (!this.tasks.has(id)) return; // exited meanwhile
      throw err;
    });
    if (!(await settlesWithin(task.done, timeout))) await this.signal(id, 'SIGKILL').catch(() => {});
    const status = await this.untilExit(task);
    this.emitEvent('stop', id);
    return status;
  }

  /** Sends a signal (default SIGKILL) to the container's init. */
  async kill(id: string, signal: string = 'SIGKILL'): Promise<void> {
    this.activeTask(id);
    await this.signal(id, signal);
  }

  private async signal(id: string, signal: string): Promise<void> {
    const num = signalNumber(signal);
    await this.oci.kill(id, String(num));
    this.emitEvent('kill', id, { signal: String(num) });
    if (this.records.get(id)?.state.status === 'paused' && thawsPaused(num)) {
      await this.unpause(id).catch(() => {});
    }
  }

  // ---- pause / update --------------------------------------------------

  async pause(id: string): Promise<void> {
    await this.locked(id, async () => {
      const rec = this.record(id);
      if (rec.state.status === 'paused') throw wharfError('CONTAINER_PAUSED', id);
      if (rec.state.status !== 'running') throw wharfError('CONTAINER_NOT_RUNNING', id);
      await this.oci.pause(id);
      rec.state.status = 'paused';
      await this.save(rec);
      this.emitEvent('pause', id);
    });
  }

  async unpause(id: string): Promise<void> {
    await this.locked(id, async () => {
      const rec = this.record(id);
      if (rec.state.status !== 'paused') throw wharfError('CONTAINER_NOT_PAUSED', id);
      await this.oci.resume(id);
      rec.state.status = 'running';
      await this.save(rec);
      this.emitEvent('unpause', id);
    });
  }

  /** Docker's update: merges the resource fields and applies them live when the container runs. */
  async update(id: string, resources: HostConfig): Promise<ContainerRecord> {
    return this.locked(id, async () => {
      const rec = this.record(id);
      const next = mergeResources(rec.hostConfig, resources);
      if (
        this.tasks.has(id) &&
        (rec.state.status === 'running' || rec.state.status === 'paused' || rec.state.status === 'created')
      ) {
        const oci = await this.specBuilder.resources(next);
        await this.oci.update(id, oci, join(this.stateDir(id), 'resources.json'));
      }
      rec.hostConfig = next;
      await this.save(rec);
      this.emitEvent('update', id);
      return structuredClone(rec);
    });
  }

  // ---- wait / remove ---------------------------------------------------

  /**
   * Resolves with the exit status once the container exits (immediately with
   * the last status when it is not running and has no task).
   */
  async wait(id: string, signal?: AbortSignal): Promise<ExitStatus> {
    const rec = this.record(id);
    const task = this.tasks.get(id);
    if (!task)
      return { exitCode: rec.state.exitCode, oomKilled: rec.state.oomKilled, signal: rec.state.signal };
    return this.untilExit(task, signal);
  }

  /** task.done, held open, rejecting when `signal` aborts or the engine is disposed. */
  private untilExit(task: Task, signal?: AbortSignal): Promise<ExitStatus> {
    return untilDone(task.done, signal ? [signal, this.closing.signal] : [this.closing.signal]);
  }

  async remove(id: string, opts: { force?: boolean } = {}): Promise<void> {
    const rec = this.record(id);
    if (this.tasks.has(id) && isActive(rec)) {
      if (!opts.force) throw wharfError('CONTAINER_RUNNING', id);
      await this.kill(id, 'SIGKILL').catch(() => {});
      const task = this.tasks.get(id);
      if (task) await this.untilExit(task);
    }
    await this.locked(id, async () => {
      rec.state.status = 'removing';
      await this.save(rec, false).catch(() => {});
      await this.destroy(rec);
      trace('remove destroyed');
      this.records.delete(id);
      this.cleaned.delete(id);
      this.emitEvent('destroy', id);
    });
  }

  // ---- attach / exec ---------------------------------------------------

  /** Connects to the container's attach socket (stdin, stdout/stderr, resize). */
  async attach(id: string): Promise<AttachClient> {
    this.record(id);
    if (!this.tasks.has(id)) throw wharfError('CONTAINER_NOT_RUNNING', id);
    return AttachClient.connect(join(this.stateDir(id), SHIM_FILES.attachSocket));
  }

  /** A process in the running container under an exec-mode shim (<exec-root>/exec/<key>); the caller owns it. */
  async startExecSession(id: string, opts: ExecOptions, key?: string): Promise<ExecSession> {
    const rec = this.record(id);
    if (!this.tasks.has(id) || rec.state.status !== 'running') throw wharfError('CONTAINER_NOT_RUNNING', id);
    return this.driver.startExec(rec, opts, key);
  }

  /** Runs a process in the running container; the runtime forgets it with the container's task. */
  async exec(id: string, opts: ExecOptions): Promise<ExecHandle> {
    const session = await this.startExecSession(id, opts);
    this.execs.add(session);
    this.emitEvent('exec_create', id, { execID: session.id });
    void session.exit.then((s) => {
      this.emitEvent('exec_die', id, { execID: session.id, exitCode: String(s.exitCode) });
    });
    return session;
  }

  getExec(execId: string): ExecHandle {
    return this.execs.get(execId);
  }

  // ---- stats -----------------------------------------------------------

  /** One sample of the container's cgroup counters (CPU, memory, pids, blkio, OOM kills). */
  async stats(id: string): Promise<CgroupStats> {
    this.activeTask(id);
    return readCgroupStats(await locateCgroupByPath(this.cgroupsPath(id)));
  }

  // ---- disposal --------------------------------------------------------

  /** Stops watching; containers keep running and a later open() re-adopts them. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.disposed = true;
    this.closing.abort(wharfError('INTERNAL', 'the container runtime was disposed while waiting'));
    for (const t of this.tasks.values()) t.watch[Symbol.dispose]();
    this.execs[Symbol.dispose]();
    this.tasks.clear();
    await this.locks.settled();
  }

  // ---- internals -------------------------------------------------------

  private assertOpen(): void {
    if (this.disposed) throw wharfError('INTERNAL', 'the container runtime was disposed');
  }

  private record(id: string): ContainerRecord {
    const rec = this.records.get(id);
    if (!rec) throw wharfError('CONTAINER_NOT_FOUND', id);
    return rec;
  }

  /** The task of a running or paused container; throws CONTAINER_NOT_RUNNING otherwise. */
  private activeTask(id: string): Task {
    const task = this.tasks.get(id);
    if (!task || !isActive(this.record(id))) throw wharfError('CONTAINER_NOT_RUNNING', id);
    return task;
  }

  private emitEvent(name: ContainerEventName, id: string, attributes?: Record<string, string>): void {
    const ev: ContainerEvent = attributes ? { id, attributes } : { id };
    this.emit(name, ev);
  }

  private locked<T>(id: string, fn: () => Promise<T>): Promise<T> {
    return this.locks.run(id, fn);
  }

  /** `durable: false` for state transitions open() reconciles anyway (see records.ts). */
  private async save(rec: ContainerRecord, durable = true): Promise<void> {
    await saveRecord(this.paths, rec, durable);
  }

  /**
   * Has the driver make a task (mount, bundle, shim) and starts watching for
   * its exit. Not saved here: create() persisted the record before, start()
   * saves right after, and open() takes the pid from the shim's files anyway.
   */
  private async createTask(rec: ContainerRecord): Promise<void> {
    this.cleaned.delete(rec.id);
    rec.state.pid = await this.driver.create(rec);
    if (rec.state.status === 'exited') rec.state.status = 'created';
    this.watchTask(rec);
  }

  private watchTask(rec: ContainerRecord): void {
    const watch = watchExit(this.stateDir(rec.id), rec.id);
    const done = watch.exited.then((status) => this.locked(rec.id, () => this.onExit(rec, status)));
    this.tasks.set(rec.id, { watch, done });
  }

  private async onExit(rec: ContainerRecord, status: ExitStatus): Promise<ExitStatus> {
    const id = rec.id;
    trace('exit seen');
    this.tasks.delete(id);
    rec.state = exitedState(rec.state, status);
    const cleaned = await this.cleanupTask(rec).then(
      () => true,
      (err: unknown) => (noteError(rec)(err), false),
    );
    if (cleaned) this.cleaned.add(id);
    trace('exit cleaned');
    if (this.records.get(id) === rec && !this.disposed) await this.save(rec, false).catch(() => {});
    if (status.oomKilled) this.emitEvent('oom', id);
    this.emitEvent('die', id, { exitCode: String(status.exitCode) });
    return status;
  }

  /** Stops watching the task and its execs (the processes are the driver's business). */
  private forgetTask(id: string): void {
    this.tasks.get(id)?.watch[Symbol.dispose]();
    this.tasks.delete(id);
    this.execs.forget(id);
  }

  /** Undoes the task (runtime state, cgroup, mount, exec-root dir). Idempotent. */
  private async cleanupTask(rec: ContainerRecord): Promise<void> {
    this.forgetTask(rec.id);
    await this.driver.cleanup(rec);
  }

  /** Removes everything the container owns. Idempotent. */
  private async destroy(rec: ContainerRecord): Promise<void> {
    this.forgetTask(rec.id);
    await this.driver.destroy(rec, { taskCleaned: this.cleaned.has(rec.id) });
  }

  /** Loads records and reconciles them with what is alive (see the header). */
  private async recover(): Promise<void> {
    const { records, errors } = await loadRecords(this.paths, this.driver);
    this.recoveryErrors.push(...errors);
    for (const rec of records) {
      this.records.set(rec.id, rec);
      await this.locked(rec.id, () => this.reconcile(rec));
    }
    await removeOrphans(this.paths, this.driver, (id) => this.records.has(id));
  }

  private async reconcile(rec: ContainerRecord): Promise<void> {
    const plan = reconciliation(rec, await this.driver.probe(rec.id));
    switch (plan.action) {
      case 'destroy':
        await this.destroy(rec).catch(() => {});
        this.records.delete(rec.id);
        return;
      case 'adopt':
        rec.state.status = plan.status;
        rec.state.pid = plan.pid;
        this.watchTask(rec);
        await this.save(rec);
        return;
      case 'exit':
        await this.onExit(rec, plan.status);
        return;
      case 'cleanup':
        if (plan.lost) rec.state = lostState(rec.state);
        await this.driver.killAll(rec.id);
        await this.cleanupTask(rec).catch(noteError(rec));
        rec.state.pid = 0;
        await this.save(rec);
    }
  }
}
