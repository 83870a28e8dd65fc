// Type checks of request bodies: a wrong type gets a 400 naming the field
// (as Go's decoder does) instead of reaching the engine.
import type { ContainerConfig, HostConfig } from '../runtime/index.js';
import { badRequest } from './errors.js';

type Kind = 'string' | 'number' | 'boolean' | 'strings' | 'stringMap' | 'object' | 'array';

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

function check(obj: Record<string, unknown>, field: string, kind: Kind, where: string): void {
  const v = obj[field];
  if (v === undefined || v === null) return;
  const bad = (): never => {
    throw badRequest(
      `json: cannot unmarshal ${typeName(v)} into Go struct field ${where}.${field} of type ${kind}`,
    );
  };
  switch (kind) {
    case 'string':
    case 'number':
    case 'boolean':
      if (typeof v !== kind) bad();
      break;
    case 'strings':
      if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) bad();
      break;
    case 'stringMap':
      if (typeof v !== 'object' || Array.isArray(v) || Object.values(v).some((x) => typeof x !== 'string'))
        bad();
      break;
    case 'object':
      if (typeof v !== 'object' || Array.isArray(v)) bad();
      break;
    case 'array':
      if (!Array.isArray(v)) bad();
      break;
  }
}

const CONFIG_FIELDS: Record<string, Kind> = {
  Hostname: 'string',
  Domainname: 'string',
  User: 'string',
  AttachStdin: 'boolean',
  AttachStdout: 'boolean',
  AttachStderr: 'boolean',
  Tty: 'boolean',
  OpenStdin: 'boolean',
  StdinOnce: 'boolean',
  Env: 'strings',
  Cmd: 'strings',
  Entrypoint: 'strings',
  Image: 'string',
  Labels: 'stringMap',
  Volumes: 'object',
  WorkingDir: 'string',
  StopSignal: 'string',
  StopTimeout: 'number',
  ExposedPorts: 'object',
  Shell: 'strings',
};

export function checkConfig(body: Record<string, unknown>): ContainerConfig {
  const c = { ...body };
  // Docker accepts a string for Cmd and Entrypoint (strslice).
  for (const f of ['Cmd', 'Entrypoint']) if (typeof c[f] === 'string') c[f] = [c[f]];
  for (const [f, k] of Object.entries(CONFIG_FIELDS)) check(c, f, k, 'container.Config');
  return c as ContainerConfig;
}

const HOST_FIELDS: Record<string, Kind> = {
  Binds: 'strings',
  NetworkMode: 'string',
  RestartPolicy: 'object',
  AutoRemove: 'boolean',
  Mounts: 'array',
  CapAdd: 'strings',
  CapDrop: 'strings',
  Dns: 'strings',
  DnsOptions: 'strings',
  DnsSearch: 'strings',
  ExtraHosts: 'strings',
  Privileged: 'boolean',
  ReadonlyRootfs: 'boolean',
  SecurityOpt: 'strings',
  Tmpfs: 'stringMap',
  Sysctls: 'stringMap',
  ShmSize: 'number',
  CpuShares: 'number',
  Memory: 'number',
  MemorySwap: 'number',
  MemoryReservation: 'number',
  NanoCpus: 'number',
  CpuPeriod: 'number',
  CpuQuota: 'number',
  CpusetCpus: 'string',
  CpusetMems: 'string',
  BlkioWeight: 'number',
  PidsLimit: 'number',
  OomKillDisable: 'boolean',
  OomScoreAdj: 'number',
  Ulimits: 'array',
  Devices: 'array',
  PortBindings: 'object',
};

const POLICIES = ['', 'no', 'always', 'unless-stopped', 'on-failure'];

export function checkHostConfig(body: unknown): HostConfig {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw badRequest('json: cannot unmarshal into Go value of type container.HostConfig');
  }
  const hc = body as Record<string, unknown>;
  for (const [f, k] of Object.entries(HOST_FIELDS)) check(hc, f, k, 'container.HostConfig');
  const rp = hc.RestartPolicy as { Name?: unknown; MaximumRetryCount?: unknown } | undefined;
  if (rp) {
    const name = rp.Name ?? '';
    if (typeof name !== 'string' || !POLICIES.includes(name))
      throw badRequest(
        `invalid restart policy: unknown policy '${String(name)}'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'`,
      );
    const max = rp.MaximumRetryCount ?? 0;
    if (typeof max !== 'number' || max < 0)
      throw badRequest('invalid restart policy: maximum retry count cannot be negative');
    if (max > 0 && name !== 'on-failure')
      throw badRequest(`invalid restart policy: maximum retry count can only be used with 'on-failure'`);
    if (name && name !== 'no' && hc.AutoRemove === true) {
      throw badRequest('conflicting options: cannot specify both --restart and --rm');
    }
  }
  if (typeof hc.Memory === 'number' && hc.Memory > 0 && hc.Memory < 6 * 1024 * 1024) {
    throw badRequest('Minimum memory limit allowed is 6MB');
  }
  return hc as HostConfig;
}
