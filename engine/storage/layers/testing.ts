// Test fixtures for layer tars: builds tars member by member (hostile ones
// included: tar-stream writes names exactly as given) and reads them back.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { buffer } from 'node:stream/consumers';
import { pack, extract, type Header } from 'tar-stream';
import type { Readable } from 'node:stream';
import type { Digest } from './index.js';

export interface TarMember extends Partial<Omit<Header, 'pax'>> {
  name: string;
  body?: string | Buffer;
  /** pax records, e.g. { 'SCHILY.xattr.user.x': 'v' }. */
  pax?: Record<string, string>;
}

export async function buildTar(members: TarMember[]): Promise<Buffer> {
  const p = pack();
  const done = buffer(p);
  for (const m of members) {
    const { body, ...header } = m;
    const data = body === undefined ? undefined : Buffer.from(body);
    const h: TarMember = {
      mode: header.type === 'directory' ? 0o755 : 0o644,
      mtime: new Date(1_600_000_000_000),
      ...header,
    };
    if (data) h.size = data.length;
    await new Promise<void>((resolve, reject) => {
      const cb = (err?: Error | null): void => (err ? reject(err) : resolve());
      if (data) p.entry(h, data, cb);
      else p.entry(h, cb);
    });
  }
  p.finalize();
  return done;
}

export function sha256(data: Buffer): Digest {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

export interface ReadMember {
  name: string;
  type: string;
  mode: number;
  uid: number;
  gid: number;
  linkname: string | null;
  body: Buffer;
  pax: Record<string, string>;
}

export async function readTar(input: Readable | Buffer): Promise<ReadMember[]> {
  const ex = extract();
  const out: ReadMember[] = [];
  const feed = Buffer.isBuffer(input) ? undefined : input;
  if (feed) feed.pipe(ex);
  else ex.end(input);
  for await (const entry of ex) {
    const h = entry.header;
    const body = await buffer(entry);
    out.push({
      name: h.name,
      type: h.type ?? 'file',
      mode: h.mode ?? 0,
      uid: h.uid ?? 0,
      gid: h.gid ?? 0,
      linkname: h.linkname ?? null,
      body,
      pax: (h.pax as Record<string, string> | null | undefined) ?? {},
    });
  }
  return out;
}

/** Reads an xattr (Node has no getxattr); undefined when absent. */
export function getXattr(path: string, name: string): Buffer | undefined {
  const out = execFileSync(
    'python3',
    [
      '-c',
      'import os,sys\ntry:\n sys.stdout.buffer.write(b"1"+os.getxattr(sys.argv[1],sys.argv[2],follow_symlinks=False))\nexcept OSError:\n sys.stdout.buffer.write(b"0")',
      path,
      name,
    ],
    { maxBuffer: 1 << 20 },
  );
  return out[0] === 0x31 ? out.subarray(1) : undefined;
}

export function setXattr(path: string, name: string, value: Buffer | string): void {
  execFileSync('python3', [
    '-c',
    'import os,sys\nos.setxattr(sys.argv[1],sys.argv[2],bytes.fromhex(sys.argv[3]),follow_symlinks=False)',
    path,
    name,
    Buffer.from(value).toString('hex'),
  ]);
}
