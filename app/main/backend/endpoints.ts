// The endpoints the app can drive: the embedded engine plus any Docker API
// endpoint the user adds. One is active; switching rebuilds the client and
// tells listeners (the event feed reconnects).
import { randomUUID } from 'node:crypto';
import type Dockerode from 'dockerode';
import type { EndpointInfo, EndpointInput } from '../../shared/types.js';
import { dockerFor, type EndpointConfig } from './docker-client.js';

export class Endpoints {
  private readonly list: EndpointConfig[] = [];
  private activeId: string;
  private client: Dockerode;
  private readonly listeners = new Set<(ep: EndpointInfo) => void>();
  private readonly errors = new Map<string, string>();

  constructor(initial: EndpointConfig[]) {
    if (initial.length === 0) throw new Error('at least one endpoint is needed');
    this.list.push(...initial);
    this.activeId = initial[0]!.id;
    this.client = dockerFor(initial[0]!);
  }

  get docker(): Dockerode {
    return this.client;
  }

  get active(): EndpointConfig {
    return this.list.find((e) => e.id === this.activeId)!;
  }

  /** Embedded engine or a unix socket: the engine's processes are visible on this host. */
  get isLocal(): boolean {
    return this.active.kind === 'embedded' || this.active.kind === 'unix';
  }

  info(ep: EndpointConfig): EndpointInfo {
    const error = this.errors.get(ep.id);
    return {
      id: ep.id,
      name: ep.name,
      kind: ep.kind,
      address: ep.address,
      active: ep.id === this.activeId,
      ...(error ? { error } : {}),
    };
  }

  all(): EndpointInfo[] {
    return this.list.map((e) => this.info(e));
  }

  setError(id: string, error: string | undefined): void {
    if (error) this.errors.set(id, error);
    else this.errors.delete(id);
  }

  add(input: EndpointInput): EndpointInfo {
    validate(input);
    const ep: EndpointConfig = { id: randomUUID(), ...input };
    this.list.push(ep);
    return this.info(ep);
  }

  remove(id: string): void {
    const i = this.list.findIndex((e) => e.id === id);
    if (i < 0) throw new Error('No such endpoint.');
    if (this.list[i]!.kind === 'embedded') throw new Error('The embedded engine cannot be removed.');
    if (id === this.activeId) throw new Error('Switch to another endpoint before removing this one.');
    this.list.splice(i, 1);
  }

  select(id: string): EndpointInfo {
    const ep = this.list.find((e) => e.id === id);
    if (!ep) throw new Error('No such endpoint.');
    this.activeId = id;
    this.client = dockerFor(ep);
    const info = this.info(ep);
    for (const l of this.listeners) l(info);
    return info;
  }

  onChange(cb: (ep: EndpointInfo) => void): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }
}

function validate(input: EndpointInput): void {
  if (!input.name.trim()) throw new Error('Give the endpoint a name.');
  if (input.kind === 'unix' && !input.address.replace(/^unix:\/\//, '').startsWith('/')) {
    throw new Error('A unix socket address is an absolute path, like /var/run/docker.sock.');
  }
  if (input.kind === 'tcp' && !/^tcp:\/\/[^/]+:\d+\/?$/.test(input.address)) {
    throw new Error('A TCP address looks like tcp://host:2376.');
  }
  if (input.kind === 'ssh' && !/^ssh:\/\/[^/]+$/.test(input.address)) {
    throw new Error('An SSH address looks like ssh://user@host.');
  }
}
