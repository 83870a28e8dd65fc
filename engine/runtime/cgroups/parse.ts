// Parsers for the cgroup file formats (Documentation/admin-guide/cgroup-v2.rst,
// "Interface Files - Conventions"): single values, "max", flat keyed
// ("key value" per line) and nested keyed ("MAJ:MIN key=value ...").

/** A single number; "max" (v2) and v1's "unlimited" page-counter values give null. */
export function parseLimit(text: string): number | null {
  const t = text.trim();
  if (t === 'max' || t === '') return null;
  const n = Number(t);
  if (!Number.isFinite(n) || n < 0) return null;
  // v1 reports "unlimited" as PAGE_COUNTER_MAX * PAGE_SIZE (~2^63).
  if (n >= 2 ** 62) return null;
  return n;
}

export function parseNumber(text: string | undefined): number {
  if (text === undefined) return 0;
  const n = Number(text.trim());
  return Number.isFinite(n) ? n : 0;
}

/** "key value" lines (memory.stat, cpu.stat, memory.events, memory.oom_control). */
export function parseFlatKeyed(text: string | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of (text ?? '').split('\n')) {
    const [key, value] = line.trim().split(/\s+/);
    if (!key || value === undefined) continue;
    const n = Number(value);
    if (Number.isFinite(n)) out[key] = n;
  }
  return out;
}

/** "MAJ:MIN key=value ..." lines (io.stat, io.max) -> one entry per device. */
export function parseNestedKeyed(
  text: string | undefined,
): { major: number; minor: number; values: Record<string, number> }[] {
  const out: { major: number; minor: number; values: Record<string, number> }[] = [];
  for (const line of (text ?? '').split('\n')) {
    const [dev, ...pairs] = line.trim().split(/\s+/);
    const m = /^(\d+):(\d+)$/.exec(dev ?? '');
    if (!m) continue;
    const values: Record<string, number> = {};
    for (const p of pairs) {
      const eq = p.indexOf('=');
      if (eq <= 0) continue;
      const n = Number(p.slice(eq + 1));
      if (Number.isFinite(n)) values[p.slice(0, eq)] = n;
    }
    out.push({ major: Number(m[1]), minor: Number(m[2]), values });
  }
  return out;
}

/** v1 blkio "MAJ:MIN Op value" lines; keeps Read and Write. */
export function parseBlkioV1(
  text: string | undefined,
): { major: number; minor: number; op: 'read' | 'write'; value: number }[] {
  const out: { major: number; minor: number; op: 'read' | 'write'; value: number }[] = [];
  for (const line of (text ?? '').split('\n')) {
    const m = /^(\d+):(\d+)\s+(Read|Write)\s+(\d+)$/.exec(line.trim());
    if (!m) continue;
    out.push({
      major: Number(m[1]),
      minor: Number(m[2]),
      op: m[3] === 'Read' ? 'read' : 'write',
      value: Number(m[4]),
    });
  }
  return out;
}
