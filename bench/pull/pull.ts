// bench/pull: Wharf's pull against skopeo (and docker, when a daemon answers)
// from a local docker-registry, measured side by side in one run.
//
//   npx tsx bench/pull/pull.ts [--runs N] [--mb SIZE] [--layers N]
//
// Builds (once, cached in $TMPDIR/wharf-bench-pull-*) an image of several layers
// of random-ish data (half incompressible, half text), pushes it with skopeo
// to a docker-registry on 127.0.0.1, then times:
//   skopeo copy docker://... dir:...           transfer only: the reference
//   wharf pull, empty store                     download + verify + extract
//   wharf pull, bottom half of the layers present
//   wharf pull, tee mode (for comparison with the default store-then-extract)
// Reports the median of N runs in seconds and MB/s of compressed bytes.
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { RegistryClient } from '../../engine/registry/client.js';
import { pull, type PullOptions } from '../../engine/registry/pull.js';
import {
  haveRegistryTools,
  openStores,
  skopeoPush,
  startRegistry,
  tarFiles,
  writeOciLayout,
  type BuiltImage,
} from '../../engine/registry/testing.js';

const pexec = promisify(execFile);

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
}
const RUNS = arg('runs', 3);
const TOTAL_MB = arg('mb', 200);
const LAYERS = arg('layers', 6);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** One layer: files of 1 MiB, alternating random bytes and repetitive text. */
async function makeLayer(i: number, mb: number): Promise<Buffer> {
  const files: Record<string, Buffer> = {};
  const words = 'the quick brown fox jumps over the lazy dog wharf layer bench '.repeat(40);
  for (let f = 0; f < mb; f++) {
    if (f % 2 === 0) {
      files[`layer${i}/blob${f}.bin`] = randomBytes(1 << 20);
    } else {
      const lines: string[] = [];
      let n = 0;
      while (n < 1 << 20) {
        const line = `${f}:${n}:${words.slice((n * 7) % 200, ((n * 7) % 200) + 60)}${randomBytes(8).toString('hex')}\n`;
        lines.push(line);
        n += line.length;
      }
      files[`layer${i}/text${f}.txt`] = Buffer.from(lines.join('')).subarray(0, 1 << 20);
    }
  }
  return tarFiles(files);
}

interface Fixture {
  layout: string;
  full: BuiltImage;
  half: BuiltImage;
  compressedMB: number;
}

async function fixture(): Promise<Fixture> {
  const dir = join(tmpdir(), `wharf-bench-pull-${TOTAL_MB}mb-${LAYERS}l`);
  const meta = join(dir, 'fixture.json');
  if (existsSync(meta)) return JSON.parse(await readFile(meta, 'utf8')) as Fixture;
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  console.error(`building a ${TOTAL_MB} MB, ${LAYERS}-layer image in ${dir} ...`);
  const tars: Buffer[] = [];
  for (let i = 0; i < LAYERS; i++) tars.push(await makeLayer(i, Math.round(TOTAL_MB / LAYERS)));
  const layout = join(dir, 'layout');
  const full = (await writeOciLayout(layout, 'full', [{ layers: tars, gzipLevel: 6 }])).images[0]!;
  const half = (
    await writeOciLayout(layout, 'half', [{ layers: tars.slice(0, Math.floor(LAYERS / 2)), gzipLevel: 6 }])
  ).images[0]!;
  const { stat } = await import('node:fs/promises');
  let bytes = 0;
  for (const d of full.layerDigests) bytes += (await stat(join(layout, 'blobs', 'sha256', d.slice(7)))).size;
  const fx: Fixture = { layout, full, half, compressedMB: bytes / 1e6 };
  await writeFile(meta, JSON.stringify(fx));
  return fx;
}

async function dropCaches(): Promise<void> {
  // Same footing for every tool: the registry's files stay in the page cache
  // (that is the "local registry" case), only pending writes are flushed.
  await pexec('sync');
}

async function timeIt(fn: () => Promise<void>): Promise<number> {
  await dropCaches();
  const t0 = performance.now();
  await fn();
  return (performance.now() - t0) / 1000;
}

async function main(): Promise<void> {
  const missing = haveRegistryTools();
  if (missing) {
    console.log(`bench/pull skipped: ${missing}`);
    return;
  }
  const fx = await fixture();
  const reg = await startRegistry();
  const work = await mkdtemp(join(tmpdir(), 'wharf-bench-pull-run-'));
  try {
    await skopeoPush(fx.layout, 'full', `${reg.host}/bench/img:full`);
    await skopeoPush(fx.layout, 'half', `${reg.host}/bench/img:half`);
    const ref = `${reg.host}/bench/img:full`;
    const results: Record<string, number[]> = {};
    const add = (k: string, v: number): void => {
      (results[k] ??= []).push(v);
    };

    let haveDocker = false;
    try {
      execFileSync('docker', ['info'], { stdio: 'ignore', timeout: 3000 });
      haveDocker = true;
    } catch {
      // no daemon
    }

    const wharf = async (opts: PullOptions, prepare?: string): Promise<number> => {
      const dataRoot = await mkdtemp(join(work, 'data-'));
      const stores = await openStores(dataRoot);
      const client = new RegistryClient();
      try {
        if (prepare) await pull({ client, ...stores }, prepare, opts);
        return await timeIt(async () => {
          await pull({ client, ...stores }, ref, opts);
        });
      } finally {
        await client.close();
        await rm(dataRoot, { recursive: true, force: true });
      }
    };

    for (let run = 0; run < RUNS; run++) {
      const dest = join(work, `skopeo-${run}`);
      add(
        'skopeo copy (transfer only)',
        await timeIt(async () => {
          await pexec('skopeo', [
            'copy',
            '--quiet',
            '--src-tls-verify=false',
            `docker://${ref}`,
            `dir:${dest}`,
          ]);
        }),
      );
      await rm(dest, { recursive: true, force: true });
      add('wharf pull, empty store', await wharf({}));
      add('wharf pull, half the layers present', await wharf({}, `${reg.host}/bench/img:half`));
      add('wharf pull, tee mode (extract while downloading)', await wharf({ mode: 'tee' }));
      if (haveDocker) {
        add(
          'docker pull',
          await timeIt(async () => {
            await pexec('docker', ['pull', '-q', ref]);
          }),
        );
        await pexec('docker', ['rmi', ref]).catch(() => undefined);
      }
    }

    const halfMB = fx.compressedMB * ((LAYERS - Math.floor(LAYERS / 2)) / LAYERS);
    const ref0 = median(results['skopeo copy (transfer only)']!);
    console.log(
      `\nbench/pull: ${LAYERS} layers, ${fx.compressedMB.toFixed(1)} MB compressed (${TOTAL_MB} MB uncompressed), ` +
        `median of ${RUNS} runs, loopback docker-registry, ${process.platform}/${process.arch}, node ${process.version}\n`,
    );
    console.log('| what | seconds | MB/s (compressed) | × skopeo |');
    console.log('| --- | ---: | ---: | ---: |');
    for (const [k, xs] of Object.entries(results)) {
      const s = median(xs);
      const mb = k.includes('half') ? halfMB : fx.compressedMB;
      console.log(`| ${k} | ${s.toFixed(2)} | ${(mb / s).toFixed(0)} | ${(s / ref0).toFixed(2)} |`);
    }
    if (!haveDocker) console.log('\n(docker pull not measured: no Docker daemon reachable)');
  } finally {
    await reg.stop();
    await rm(work, { recursive: true, force: true });
  }
}

await main();
