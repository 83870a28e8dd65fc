// Networks belong to a later issue (volumes are in volumes.ts). Until then
// the list and inspect endpoints answer truthfully — one network, "none",
// which is what every container gets today — so `docker network ls` and
// clients that probe it work. Creating one answers 501 with a clear message.
import { ApiError, notFound } from './errors.js';
import type { RequestCtx } from './http.js';
import type { Router } from './router.js';

const NONE_ID = 'a7b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1';

function noneNetwork(): Record<string, unknown> {
  return {
    Name: 'none',
    Id: NONE_ID,
    Created: '0001-01-01T00:00:00Z',
    Scope: 'local',
    Driver: 'null',
    EnableIPv6: false,
    IPAM: { Driver: 'default', Options: null, Config: [] },
    Internal: false,
    Attachable: false,
    Ingress: false,
    ConfigFrom: { Network: '' },
    ConfigOnly: false,
    Containers: {},
    Options: {},
    Labels: {},
  };
}

const notYet = (what: string) => async (): Promise<void> => {
  throw new ApiError(501, `${what} are not supported by this version of wharf yet`);
};

export function placeholderRoutes(r: Router): void {
  r.add('GET', '/networks', async (c: RequestCtx) => c.reply.json(200, [noneNetwork()]));
  r.add('GET', '/networks/{id}', async (c: RequestCtx) => {
    const id = c.params[0]!;
    if (id === 'none' || (id.length >= 3 && NONE_ID.startsWith(id))) return c.reply.json(200, noneNetwork());
    throw notFound(`network ${id} not found`);
  });
  r.add('POST', '/networks/create', notYet('user-defined networks'));
  r.add('POST', '/networks/prune', async (c: RequestCtx) => c.reply.json(200, { NetworksDeleted: null }));
}
