// Builds a dockerode client for an endpoint: a unix socket, tcp:// (TLS when
// certificates are given) or ssh:// (docker-modem's ssh transport).
import Dockerode from 'dockerode';
import type { EndpointKind } from '../../shared/types.js';

export interface EndpointConfig {
  id: string;
  name: string;
  kind: EndpointKind;
  address: string;
  tls?: { ca?: string; cert?: string; key?: string };
}

export function dockerFor(ep: EndpointConfig): Dockerode {
  switch (ep.kind) {
    case 'embedded':
    case 'unix':
      return new Dockerode({ socketPath: ep.address.replace(/^unix:\/\//, '') });
    case 'tcp': {
      const u = new URL(ep.address);
      const tls = ep.tls && (ep.tls.ca || ep.tls.cert);
      return new Dockerode({
        protocol: tls ? 'https' : 'http',
        host: u.hostname,
        port: u.port || (tls ? '2376' : '2375'),
        ...(ep.tls?.ca ? { ca: ep.tls.ca } : {}),
        ...(ep.tls?.cert ? { cert: ep.tls.cert } : {}),
        ...(ep.tls?.key ? { key: ep.tls.key } : {}),
      });
    }
    case 'ssh': {
      const u = new URL(ep.address);
      return new Dockerode({
        protocol: 'ssh',
        host: u.hostname,
        port: u.port || '22',
        username: decodeURIComponent(u.username) || 'root',
        sshOptions: { agent: process.env.SSH_AUTH_SOCK },
      });
    }
  }
}

/** Words a person understands, from a docker-modem / engine failure. */
export function describeError(err: unknown): { message: string; status?: number } {
  if (typeof err === 'object' && err !== null) {
    const e = err as { statusCode?: number; json?: { message?: string }; message?: string; code?: string };
    const engineMsg = e.json?.message;
    if (engineMsg)
      return { message: capitalize(engineMsg), ...(e.statusCode ? { status: e.statusCode } : {}) };
    if (e.code === 'ENOENT' || e.code === 'ECONNREFUSED') {
      return { message: `The engine is not reachable (${e.code}). Is it running?` };
    }
    if (e.message) {
      const m = /\(HTTP code (\d+)\)[^:]*: (.*)$/s.exec(e.message);
      if (m) return { message: capitalize(m[2] ?? e.message), status: Number(m[1]) };
      return { message: capitalize(e.message), ...(e.statusCode ? { status: e.statusCode } : {}) };
    }
  }
  return { message: String(err) };
}

function capitalize(s: string): string {
  const t = s.trim();
  return t.charAt(0).toUpperCase() + t.slice(1);
}
