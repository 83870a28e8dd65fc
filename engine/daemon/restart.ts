// Restart policies as Docker applies them (no, on-failure[:N], always,
// unless-stopped) and AutoRemove. Runs on every `die`; on daemon start it
// brings back what the policies say should be running.
//
// A stop through the API marks the container manually stopped (persisted):
// neither `always` after the exit nor `unless-stopped` after a daemon
// restart bring it back; `always` does after a daemon restart, as in Docker.
// Backoff: 100 ms doubling per consecutive restart, reset after 10 s of
// running, at most 1 minute.
import type { Engine } from '../api/index.js';
import type { ContainerRecord } from '../runtime/index.js';

const MAX_DELAY = 60_000;

export class RestartManager {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly delays = new Map<string, number>();
  private readonly skip = new Set<string>();
  /** Restarts under way (timer fired, start not finished): a stop now must still win. */
  private readonly inflight = new Set<string>();
  private stopped = false;
  private readonly onEvent = (ev: {
    Type: string;
    Action: string;
    Actor: { ID: string; Attributes: Record<string, string> };
  }): void => {
    if (ev.Type === 'container' && ev.Action === 'die')
      void this.onDie(ev.Actor.ID, Number(ev.Actor.Attributes.exitCode ?? 0));
  };

  constructor(private readonly e: Engine) {
    e.restartHooks.cancel = (id) => this.cancel(id);
    e.restartHooks.skipNext = (id) => this.skip.add(id);
    e.restartHooks.pending = (id) => this.timers.has(id) || this.inflight.has(id);
    e.restartHooks.onManualStart = (id) => {
      this.cancel(id);
      this.skip.delete(id);
      this.delays.delete(id);
    };
    e.events.on('event', this.onEvent);
  }

  private cancel(id: string): void {
    const t = this.timers.get(id);
    if (t) clearTimeout(t);
    this.timers.delete(id);
  }

  private shouldRestart(rec: ContainerRecord, exitCode: number, daemonStart: boolean): boolean {
    const policy = rec.hostConfig.RestartPolicy;
    const meta = this.e.metaOf(rec.id);
    switch (policy?.Name) {
      case 'always':
        return daemonStart || !meta.manualStop;
      case 'unless-stopped':
        return !meta.manualStop;
      case 'on-failure': {
        const max = policy.MaximumRetryCount ?? 0;
        return !meta.manualStop && exitCode !== 0 && (max === 0 || meta.restartCount < max);
      }
      default:
        return false;
    }
  }

  private async onDie(id: string, exitCode: number): Promise<void> {
    if (this.stopped || !this.e.runtime.has(id)) return;
    const rec = this.e.runtime.inspect(id);
    if (rec.state.status === 'removing') return;
    if (rec.hostConfig.AutoRemove) {
      this.skip.delete(id);
      await this.e.runtime.remove(id, { force: true }).catch((err: unknown) => {
        this.e.log('warn', `auto-removing ${id}: ${(err as Error).message}`);
      });
      return;
    }
    if (this.skip.delete(id)) return;
    if (!this.shouldRestart(rec, exitCode, false)) return;
    const ranFor = Date.now() - Date.parse(rec.state.startedAt ?? rec.created);
    const prev = ranFor >= 10_000 ? 0 : (this.delays.get(id) ?? 0);
    const delay = Math.min(MAX_DELAY, prev ? prev * 2 : 100);
    this.delays.set(id, delay);
    this.schedule(id, delay);
  }

  private schedule(id: string, delay: number): void {
    this.cancel(id);
    const t = setTimeout(() => {
      this.timers.delete(id);
      this.restart(id).catch((err: unknown) => this.e.log('warn', `restarting ${id}: ${String(err)}`));
    }, delay);
    t.unref();
    this.timers.set(id, t);
  }

  private async restart(id: string): Promise<void> {
    if (this.stopped || !this.e.runtime.has(id)) return;
    this.inflight.add(id);
    try {
      const meta = this.e.metaOf(id);
      await this.e.meta.update(id, { restartCount: meta.restartCount + 1 });
      // A `docker stop` while this restart was under way marks it manually stopped.
      if (this.e.metaOf(id).manualStop) return;
      await this.e.runtime.start(id);
      if (this.e.metaOf(id).manualStop) {
        await this.e.runtime.stop(id).catch(() => {});
        return;
      }
      this.e.events.publish('container', 'restart', id, this.e.attributes(id));
    } catch (err) {
      this.e.log('warn', `restarting ${id}: ${(err as Error).message}`);
    } finally {
      this.inflight.delete(id);
    }
  }

  /** Daemon start: remove leftover AutoRemove containers, start what the policies want running. */
  async startup(): Promise<void> {
    for (const rec of this.e.runtime.list()) {
      if (rec.state.status !== 'exited' && rec.state.status !== 'created') continue;
      if (rec.hostConfig.AutoRemove && rec.state.status === 'exited') {
        await this.e.runtime.remove(rec.id, { force: true }).catch(() => {});
        continue;
      }
      if (rec.state.status === 'exited' && this.shouldRestart(rec, rec.state.exitCode, true)) {
        await this.e.runtime.start(rec.id).catch((err: unknown) => {
          this.e.log('warn', `restarting ${rec.id} on daemon start: ${(err as Error).message}`);
        });
      }
    }
  }

  dispose(): void {
    this.stopped = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    this.e.events.off('event', this.onEvent);
  }
}
