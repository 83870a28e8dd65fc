// Test and bench fixtures for the registry client: a real Debian
// `docker-registry` on 127.0.0.1 (optionally behind htpasswd or token auth),
// OCI image layouts built from tars made here, and skopeo to push them.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash, createPrivateKey, randomBytes, sign, X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync, constants as zc } from 'node:zlib';
import { FileContentStore } from '../images/content-store.js';
import { FsImageStore } from '../images/image-store.js';
import type { Digest } from '../images/index.js';
import { createLayerStore, type OverlayLayerStore } from '../storage/layers/layer-store.js';
import { MediaType } from './manifest.js';

const pexec = promisify(execFile);

export const REGISTRY_BIN = '/usr/bin/docker-registry';

export function haveRegistryTools(): string | undefined {
  for (const bin of [REGISTRY_BIN, '/usr/bin/skopeo', '/usr/bin/openssl', '/bin/tar']) {
    if (!existsSync(bin)) return `${bin} is not installed`;
  }
  return undefined;
}

export function sha256(data: Buffer | string): Digest {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createNetServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

export interface TokenAuthConfig {
  realm: string;
  service: string;
  issuer: string;
  rootcertbundle: string;
}

export interface RunningRegistry {
  host: string;
  dir: string;
  proc: ChildProcess;
  stop(): Promise<void>;
}

/** Starts docker-registry with filesystem storage in a temp dir, on a free loopback port. */
export async function startRegistry(
  opts: { htpasswd?: string; token?: TokenAuthConfig } = {},
): Promise<RunningRegistry> {
  const dir = await mkdtemp(join(tmpdir(), 'wharf-registry-'));
  const port = await freePort();
  let auth = '';
  if (opts.htpasswd) auth = `auth:\n  htpasswd:\n    realm: wharf-test\n    path: ${opts.htpasswd}\n`;
  if (opts.token) {
    const t = opts.token;
    auth =
      `auth:\n  token:\n    realm: ${t.realm}\n    service: ${t.service}\n` +
      `    issuer: ${t.issuer}\n    rootcertbundle: ${t.rootcertbundle}\n`;
  }
  const config =
    `version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\n` +
    `storage:\n  filesystem:\n    rootdirectory: ${join(dir, 'data')}\n  delete:\n    enabled: true\n` +
    `http:\n  addr: 127.0.0.1:${port}\n  secret: ${randomBytes(8).toString('hex')}\n${auth}`;
  await writeFile(join(dir, 'config.yml'), config);
  const proc = spawn(REGISTRY_BIN, ['serve', join(dir, 'config.yml')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  proc.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const host = `127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    if (proc.exitCode === null && proc.signalCode === null) {
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(t);
    }
    await rm(dir, { recursive: true, force: true });
  };
  for (let i = 0; ; i++) {
    if (proc.exitCode !== null) {
      await stop();
      throw new Error(`docker-registry exited: ${stderr}`);
    }
    try {
      const res = await fetch(`http://${host}/v2/`);
      await res.arrayBuffer();
      if (res.status === 200 || res.status === 401) break;
    } catch {
      // not listening yet
    }
    if (i > 100) {
      await stop();
      throw new Error(`docker-registry did not start: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { host, dir, proc, stop };
}

/** Writes an htpasswd file (bcrypt, as docker-registry requires). */
export async function writeHtpasswd(path: string, users: Record<string, string>): Promise<void> {
  const bcrypt = (await import('bcryptjs')).default;
  const lines = Object.entries(users).map(([u, p]) => `${u}:${bcrypt.hashSync(p, 5)}`);
  await writeFile(path, lines.join('\n') + '\n');
}

/**
 * A token server for docker-registry's token auth: a self-signed RSA cert
 * (the registry's rootcertbundle) signs RS256 JWTs carrying the cert in x5c.
 * Users with the right password get the actions they ask for; anonymous
 * requests get a token without access.
 */
export async function startTokenServer(
  dir: string,
  users: Record<string, string>,
): Promise<{ config: TokenAuthConfig; server: Server; stop(): Promise<void>; requests: string[] }> {
  const key = join(dir, 'token-key.pem');
  const cert = join(dir, 'token-cert.pem');
  await pexec('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    key,
    '-out',
    cert,
    '-days',
    '2',
    '-subj',
    '/CN=wharf-test-token',
  ]);
  const privateKey = createPrivateKey(await readFile(key));
  const x5c = new X509Certificate(await readFile(cert)).raw.toString('base64');
  const service = 'wharf-test-registry';
  const issuer = 'wharf-test-issuer';
  const b64u = (b: Buffer | string): string => Buffer.from(b).toString('base64url');
  const requests: string[] = [];
  const server = createHttpServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    requests.push(url.search);
    let user = '';
    const authz = req.headers.authorization;
    if (authz?.startsWith('Basic ')) {
      const plain = Buffer.from(authz.slice(6), 'base64').toString();
      const i = plain.indexOf(':');
      const [u, p] = [plain.slice(0, i), plain.slice(i + 1)];
      if (users[u] !== p) {
        res.writeHead(401, { 'content-type': 'application/json' });
        res.end('{"details":"incorrect username or password"}');
        return;
      }
      user = u;
    }
    const access = url.searchParams.getAll('scope').flatMap((scope) => {
      const [type, name, actions] = scope.split(':');
      return user && type && name && actions ? [{ type, name, actions: actions.split(',') }] : [];
    });
    const now = Math.floor(Date.now() / 1000);
    const header = { alg: 'RS256', typ: 'JWT', x5c: [x5c] };
    const claims = {
      iss: issuer,
      sub: user,
      aud: service,
      exp: now + 300,
      nbf: now - 10,
      iat: now,
      jti: randomBytes(8).toString('hex'),
      access,
    };
    const input = `${b64u(JSON.stringify(header))}.${b64u(JSON.stringify(claims))}`;
    const token = `${input}.${b64u(sign('sha256', Buffer.from(input), privateKey))}`;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ token, expires_in: 300, issued_at: new Date().toISOString() }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    config: { realm: `http://127.0.0.1:${port}/token`, service, issuer, rootcertbundle: cert },
    server,
    requests,
    stop: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** A deterministic tar of `dir`'s content (GNU tar, sorted, numeric owners, fixed mtime). */
export async function tarDir(dir: string): Promise<Buffer> {
  const { stdout } = await pexec(
    'tar',
    [
      '-C',
      dir,
      '--sort=name',
      '--mtime=@1700000000',
      '--owner=0',
      '--group=0',
      '--numeric-owner',
      '-cf',
      '-',
      '.',
    ],
    { encoding: 'buffer', maxBuffer: 1 << 30 },
  );
  return stdout;
}

/** A tar of the given files (path -> content); directories are implied. */
export async function tarFiles(files: Record<string, string | Buffer>): Promise<Buffer> {
  const dir = await mkdtemp(join(tmpdir(), 'wharf-tar-'));
  try {
    for (const [p, c] of Object.entries(files)) {
      await mkdir(join(dir, p, '..'), { recursive: true });
      await writeFile(join(dir, p), c);
    }
    return await tarDir(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export interface FixtureImage {
  /** Uncompressed layer tars, bottom first. */
  layers: Buffer[];
  architecture?: string;
  os?: string;
  variant?: string;
  cmd?: string[];
  /** "docker" writes schema2 media types, default OCI. */
  format?: 'oci' | 'docker';
  gzipLevel?: number;
}

export interface BuiltImage {
  manifestDigest: Digest;
  configDigest: Digest;
  layerDigests: Digest[];
  diffIDs: Digest[];
  manifest: Buffer;
}

async function writeBlob(dir: string, data: Buffer): Promise<Digest> {
  const d = sha256(data);
  await writeFile(join(dir, 'blobs', 'sha256', d.slice(7)), data);
  return d;
}

async function writeImage(dir: string, img: FixtureImage): Promise<BuiltImage> {
  const docker = img.format === 'docker';
  const layerDigests: Digest[] = [];
  const diffIDs: Digest[] = [];
  const layerDescs = [];
  for (const tar of img.layers) {
    const gz = gzipSync(tar, { level: img.gzipLevel ?? zc.Z_DEFAULT_COMPRESSION });
    const d = await writeBlob(dir, gz);
    layerDigests.push(d);
    diffIDs.push(sha256(tar));
    layerDescs.push({
      mediaType: docker ? MediaType.dockerLayerGzip : MediaType.ociLayerGzip,
      digest: d,
      size: gz.length,
    });
  }
  const config = Buffer.from(
    JSON.stringify({
      architecture: img.architecture ?? 'amd64',
      os: img.os ?? 'linux',
      ...(img.variant ? { variant: img.variant } : {}),
      created: '2024-01-01T00:00:00Z',
      config: {
        Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
        Cmd: img.cmd ?? ['sh'],
      },
      rootfs: { type: 'layers', diff_ids: diffIDs },
      history: diffIDs.map((_, i) => ({ created: '2024-01-01T00:00:00Z', created_by: `layer ${i}` })),
    }),
  );
  const configDigest = await writeBlob(dir, config);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: docker ? MediaType.dockerManifest : MediaType.ociManifest,
      config: {
        mediaType: docker ? MediaType.dockerConfig : MediaType.ociConfig,
        digest: configDigest,
        size: config.length,
      },
      layers: layerDescs,
    }),
  );
  const manifestDigest = await writeBlob(dir, manifest);
  return { manifestDigest, configDigest, layerDigests, diffIDs, manifest };
}

/**
 * Writes an OCI image layout at `dir` with one image (or, given several, an
 * OCI index of them with their platforms) under `tag`. Adds to an existing layout.
 */
export async function writeOciLayout(
  dir: string,
  tag: string,
  images: FixtureImage[],
): Promise<{ digest: Digest; images: BuiltImage[] }> {
  await mkdir(join(dir, 'blobs', 'sha256'), { recursive: true });
  await writeFile(join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  const built: BuiltImage[] = [];
  for (const img of images) built.push(await writeImage(dir, img));
  let top: { mediaType: string; digest: Digest; size: number };
  if (images.length === 1) {
    top = {
      mediaType: MediaType.ociManifest,
      digest: built[0]!.manifestDigest,
      size: built[0]!.manifest.length,
    };
    if (images[0]!.format === 'docker') top.mediaType = MediaType.dockerManifest;
  } else {
    const index = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaType.ociIndex,
        manifests: built.map((b, i) => ({
          mediaType: MediaType.ociManifest,
          digest: b.manifestDigest,
          size: b.manifest.length,
          platform: {
            architecture: images[i]!.architecture ?? 'amd64',
            os: images[i]!.os ?? 'linux',
            ...(images[i]!.variant ? { variant: images[i]!.variant } : {}),
          },
        })),
      }),
    );
    top = { mediaType: MediaType.ociIndex, digest: await writeBlob(dir, index), size: index.length };
  }
  let index: { schemaVersion: number; manifests: object[] } = { schemaVersion: 2, manifests: [] };
  try {
    index = JSON.parse(await readFile(join(dir, 'index.json'), 'utf8')) as typeof index;
  } catch {
    // new layout
  }
  index.manifests.push({ ...top, annotations: { 'org.opencontainers.image.ref.name': tag } });
  await writeFile(join(dir, 'index.json'), JSON.stringify(index));
  return { digest: top.digest, images: built };
}

/**
 * Writes one image as a skopeo "dir:" layout (manifest.json plus blobs named
 * by hex): the way to push Docker schema2 manifests, which skopeo's OCI layout
 * transport doesn't list.
 */
export async function writeDirLayout(dir: string, img: FixtureImage): Promise<BuiltImage> {
  const tmp = join(dir, '.build');
  await mkdir(join(tmp, 'blobs', 'sha256'), { recursive: true });
  const built = await writeImage(tmp, img);
  for (const d of [built.configDigest, ...built.layerDigests]) {
    await rename(join(tmp, 'blobs', 'sha256', d.slice(7)), join(dir, d.slice(7)));
  }
  await writeFile(join(dir, 'manifest.json'), built.manifest);
  await writeFile(join(dir, 'version'), 'Directory Transport Version: 1.1\n');
  await rm(tmp, { recursive: true, force: true });
  return built;
}

/** skopeo copy of an OCI layout tag (or, with tag '', a dir: layout) into the registry (--all keeps indexes whole). */
export async function skopeoPush(
  layout: string,
  tag: string,
  dest: string,
  opts: { creds?: string } = {},
): Promise<void> {
  const args = ['copy', '--all', '--quiet', '--dest-tls-verify=false', '--preserve-digests'];
  if (opts.creds) args.push('--dest-creds', opts.creds);
  args.push(tag === '' ? `dir:${layout}` : `oci:${layout}:${tag}`, `docker://${dest}`);
  await pexec('skopeo', args, { maxBuffer: 1 << 24 });
}

export async function skopeoInspect(
  ref: string,
  opts: { creds?: string; raw?: boolean } = {},
): Promise<{ Digest?: string; Layers?: string[]; [k: string]: unknown }> {
  const args = ['inspect', '--tls-verify=false'];
  if (opts.raw) args.push('--raw');
  if (opts.creds) args.push('--creds', opts.creds);
  args.push(`docker://${ref}`);
  const { stdout } = await pexec('skopeo', args, { maxBuffer: 1 << 24 });
  return JSON.parse(stdout) as { Digest?: string; Layers?: string[] };
}

export interface Stores {
  content: FileContentStore;
  layers: OverlayLayerStore;
  images: FsImageStore;
}

/** The real content, layer and image stores on a data root, as the engine opens them. */
export async function openStores(dataRoot: string): Promise<Stores> {
  const content = await FileContentStore.open(dataRoot);
  const layers = createLayerStore({ dataRoot });
  await layers.cleanup();
  const images = await FsImageStore.open({ dataRoot, content, layers });
  return { content, layers, images };
}

export interface RawTarEntry {
  name: string;
  /** '0' file, '1' hard link, '2' symlink, '5' directory. */
  type?: '0' | '1' | '2' | '5';
  linkname?: string;
  data?: string | Buffer;
  mode?: number;
}

/** A ustar archive written byte by byte, for hostile names no tar tool would produce. */
export function rawTar(entries: RawTarEntry[]): Buffer {
  const blocks: Buffer[] = [];
  for (const e of entries) {
    const data = Buffer.from(e.data ?? '');
    const h = Buffer.alloc(512);
    h.write(e.name, 0, 100, 'utf8');
    h.write((e.mode ?? (e.type === '5' ? 0o755 : 0o644)).toString(8).padStart(7, '0') + '\0', 100);
    h.write('0000000\0', 108);
    h.write('0000000\0', 116);
    h.write(data.length.toString(8).padStart(11, '0') + '\0', 124);
    h.write('14615502400\0', 136);
    h.write('        ', 148);
    h.write(e.type ?? '0', 156);
    if (e.linkname) h.write(e.linkname, 157, 100, 'utf8');
    h.write('ustar\0', 257);
    h.write('00', 263);
    let sum = 0;
    for (const b of h) sum += b;
    h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
    blocks.push(h, data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}
