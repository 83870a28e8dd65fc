// The /events feed: runtime events become Docker event messages (with the
// legacy status/id/from fields docker-compose v1 reads), kept in a bounded
// history so `since` can replay them.
import { EventEmitter } from 'node:events';

export interface DockerEvent {
  Type: 'container' | 'image' | 'network' | 'volume' | 'daemon';
  Action: string;
  Actor: { ID: string; Attributes: Record<string, string> };
  scope: 'local';
  time: number;
  timeNano: number;
  status?: string;
  id?: string;
  from?: string;
}

const HISTORY = 1024;

export class EventBus extends EventEmitter<{ event: [DockerEvent] }> {
  private readonly history: DockerEvent[] = [];

  constructor() {
    super();
    this.setMaxListeners(0);
  }

  publish(
    type: DockerEvent['Type'],
    action: string,
    id: string,
    attributes: Record<string, string>,
  ): DockerEvent {
    const nowNs = BigInt(Date.now()) * 1_000_000n + (process.hrtime.bigint() % 1_000_000n);
    const ev: DockerEvent = {
      Type: type,
      Action: action,
      Actor: { ID: id, Attributes: attributes },
      scope: 'local',
      time: Number(nowNs / 1_000_000_000n),
      timeNano: Number(nowNs),
    };
    if (type === 'container' || type === 'image') {
      ev.status = action;
      ev.id = id;
      if (type === 'container' && attributes.image) ev.from = attributes.image;
    }
    this.history.push(ev);
    if (this.history.length > HISTORY) this.history.shift();
    this.emit('event', ev);
    return ev;
  }

  /** Events at or after `sinceMs` (and before `untilMs`), oldest first. */
  past(sinceMs: number, untilMs = Infinity): DockerEvent[] {
    return this.history.filter((e) => e.timeNano / 1e6 >= sinceMs && e.timeNano / 1e6 <= untilMs);
  }
}
