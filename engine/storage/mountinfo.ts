// /proc/self/mountinfo: which paths are mount points right now.
import { readFile } from 'node:fs/promises';

export interface MountInfo {
  mountPoint: string;
  fsType: string;
  source: string;
  superOptions: string;
}

/** mountinfo escapes space, tab, newline and backslash as \ooo. */
function unescape(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

export function parseMountInfo(text: string): MountInfo[] {
  const out: MountInfo[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    const f = line.split(' ');
    const sep = f.indexOf('-', 6);
    if (sep < 0 || f[4] === undefined) continue;
    out.push({
      mountPoint: unescape(f[4]),
      fsType: f[sep + 1] ?? '',
      source: unescape(f[sep + 2] ?? ''),
      superOptions: f[sep + 3] ?? '',
    });
  }
  return out;
}

export async function readMountInfo(): Promise<MountInfo[]> {
  return parseMountInfo(await readFile('/proc/self/mountinfo', 'utf8'));
}

/** The inverse of unescape(): how `path` appears in mountinfo. */
function escapePath(path: string): string {
  return path.replace(/[ \t\n\\]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`);
}

/**
 * Mount points at `dir` or below it, deepest (last mounted) first. The
 * table holds every container's mount, so only lines that mention `dir`
 * are parsed.
 */
export async function mountsUnder(dir: string): Promise<string[]> {
  const text = await readFile('/proc/self/mountinfo', 'utf8');
  const needle = ` ${escapePath(dir)}`;
  if (!text.includes(needle)) return [];
  const prefix = dir.endsWith('/') ? dir : `${dir}/`;
  const lines = text.split('\n').filter((l) => l.includes(needle));
  const points = parseMountInfo(lines.join('\n'))
    .map((m) => m.mountPoint)
    .filter((p) => p === dir || p.startsWith(prefix));
  return points.reverse();
}
