// Runs every *.test.ts (and the Playwright *.e2e.spec.ts) under the source folders with Node's test runner
// (through tsx for TypeScript). Tests that touch the kernel run one file at a
// time: CPU-share and OOM tests measure the machine and must not overlap.
import { spawnSync } from 'node:child_process';
import { readdirSync, rmdirSync } from 'node:fs';
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
removeEmptyCgroupParents();
process.exit(result.status ?? 1);

/**
 * The engines and runtimes under test create their containers' cgroups
 * below /wharf and /wharf-test and remove them, but leave these shared
 * parents (other runs may use them at the same time). Once every test has
 * ended, drop them where they are empty: rmdir never removes a cgroup that
 * still holds a cgroup or a process.
 */
function removeEmptyCgroupParents() {
  // cgroup2 alone: /sys/fs/cgroup is the hierarchy; v1: one per controller below it.
  const hierarchies = ['/sys/fs/cgroup'];
  try {
    for (const e of readdirSync('/sys/fs/cgroup', { withFileTypes: true })) {
      if (e.isDirectory()) hierarchies.push(join('/sys/fs/cgroup', e.name));
    }
  } catch {
    return;
  }
  for (const h of hierarchies) {
    for (const parent of ['wharf', 'wharf-test']) {
      try {
        rmdirSync(join(h, parent));
      } catch {
        // absent, still in use, or not ours to remove
      }
    }
  }
}
