// Runs every *.test.ts (and the Playwright *.e2e.spec.ts) under the source folders with Node's test runner
// (through tsx for TypeScript). Tests that touch the kernel run one file at a
// time: CPU-share and OOM tests measure the machine and must not overlap.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const roots = ['engine', 'native/test', 'app', 'e2e'];
const skip = new Set(['node_modules', 'build', 'dist']);

function findTests(dir) {
  let out = [];
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    if (skip.has(e.name)) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) out = out.concat(findTests(p));
    else if (e.name.endsWith('.test.ts') || e.name.endsWith('.e2e.spec.ts')) out.push(p);
  }
  return out;
}

const filter = process.argv.slice(2);
let files = roots.flatMap(findTests).sort();
if (filter.length) files = files.filter((f) => filter.some((x) => f.includes(x)));
if (files.length === 0) {
  console.error('no test files found');
  process.exit(1);
}
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-reporter=spec', ...files],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
