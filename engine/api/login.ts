// POST /auth (docker login): checks the credentials against the registry's
// /v2/ endpoint (basic or bearer challenge, as a pull would answer it) and
// stores them only when the registry accepts them.
import {
  MemoryAuthStore,
  normalizeRegistryKey,
  parseChallenges,
  type Credentials,
} from '../registry/auth.js';
import { RegistryClient, responseHeader } from '../registry/client.js';
import { ApiError } from './errors.js';
import type { DaemonSettings } from './engine.js';

export async function verifyLogin(
  settings: DaemonSettings,
  server: string,
  creds: Credentials,
): Promise<void> {
  const registry = normalizeRegistryKey(server);
  const auth = new MemoryAuthStore();
  await auth.set(registry, creds);
  const client = new RegistryClient({
    auth,
    insecureRegistries: settings.insecureRegistries,
    mirrors: [],
    userAgent: 'wharf/0.1.0',
  });
  try {
    const ep = client.endpoints(registry).find((e) => !e.mirror);
    if (!ep) throw new ApiError(400, `invalid registry ${server}`);
    const base = await client.baseURL(ep);
    let res = await client.send('GET', `${base}/v2/`);
    if (res.status === 401) {
      const challenges = parseChallenges(responseHeader(res.headers, 'www-authenticate'));
      await res.body.dump();
      let header: string | undefined;
      try {
        header = await client.authorize(ep, challenges, []);
      } catch {
        header = undefined;
      }
      if (!header)
        throw new ApiError(401, `login attempt to ${base}/v2/ failed with status: 401 Unauthorized`);
      res = await client.send('GET', `${base}/v2/`, { authHeader: header, authOrigin: new URL(base).origin });
    }
    await res.body.dump();
    if (res.status !== 200) {
      throw new ApiError(
        401,
        `login attempt to ${base}/v2/ failed with status: ${res.status} ${res.status === 401 ? 'Unauthorized' : ''}`.trim(),
      );
    }
  } finally {
    await client.close();
  }
}
