// Memory, memory+swap and CPU shares sliders (plus CPUs and pids under
// "more"), capped at the host's resources and validated as the user drags.
import { useState } from 'react';
import type { HostInfo, ResourceSpec } from '../../../shared/ipc.js';
import { LimitSlider } from './LimitSlider.js';
import { bytes } from '../lib/format.js';
import { cpusScale, memoryScale, MiB, pidsScale, sharesScale, swapScale } from '../lib/limits.js';

export const DEFAULT_RESOURCES: ResourceSpec = {
  memory: 0,
  memorySwap: 0,
  cpuShares: 0,
  nanoCpus: 0,
  pidsLimit: 0,
};

export type ResourceErrors = Partial<Record<keyof ResourceSpec, string>>;

export function validateResources(r: ResourceSpec, host: HostInfo | undefined): ResourceErrors {
  const e: ResourceErrors = {};
  if (r.memory !== 0 && r.memory < 6 * MiB) e.memory = 'At least 6 MB, or unlimited.';
  else if (host && host.memTotal > 0 && r.memory > host.memTotal)
    e.memory = `The host has ${bytes(host.memTotal)}.`;
  if (r.memorySwap > 0) {
    if (r.memory === 0) e.memorySwap = 'Set a memory limit first.';
    else if (r.memorySwap < r.memory) e.memorySwap = 'Must be at least the memory limit.';
  }
  if (r.cpuShares !== 0 && (r.cpuShares < 2 || r.cpuShares > 262144)) e.cpuShares = 'From 2 to 262144.';
  if (host && r.nanoCpus > host.ncpu * 1e9) e.nanoCpus = `The host has ${host.ncpu} CPUs.`;
  if (r.pidsLimit < 0) e.pidsLimit = 'Zero or more.';
  return e;
}

export function ResourceFields({
  value,
  onChange,
  host,
  errors,
}: {
  value: ResourceSpec;
  onChange: (r: ResourceSpec) => void;
  host: HostInfo | undefined;
  errors: ResourceErrors;
}) {
  const [more, setMore] = useState(value.nanoCpus > 0 || value.pidsLimit > 0);
  const mem = host?.memTotal ?? 0;
  const set = (k: keyof ResourceSpec) => (v: number) => onChange({ ...value, [k]: v });
  // Memory + swap follows memory: the default (twice memory) stays the
  // default, and it never falls below the memory limit.
  const setMemory = (v: number): void => {
    let swap = value.memorySwap;
    if (v === 0) swap = swap < 0 ? swap : 0;
    else if (swap > 0 && value.memory > 0 && swap === 2 * value.memory) swap = 2 * v;
    else if (swap > 0 && swap < v) swap = v;
    onChange({ ...value, memory: v, memorySwap: swap });
  };
  return (
    <div className="resources">
      <LimitSlider
        id="memory"
        label="Memory"
        scale={memoryScale(mem)}
        value={value.memory}
        onChange={setMemory}
        unit="MB"
        unitSize={MiB}
        hint={`Docker default: unlimited${mem ? ` · host has ${bytes(mem)}` : ''}`}
        {...(errors.memory ? { error: errors.memory } : {})}
      />
      <LimitSlider
        id="memory-swap"
        label="Memory + swap"
        scale={swapScale(mem)}
        value={value.memorySwap}
        onChange={set('memorySwap')}
        unit="MB"
        unitSize={MiB}
        hint="Docker default: twice the memory limit"
        {...(errors.memorySwap ? { error: errors.memorySwap } : {})}
      />
      <LimitSlider
        id="cpu-shares"
        label="CPU shares"
        scale={sharesScale}
        value={value.cpuShares}
        onChange={set('cpuShares')}
        unit="shares"
        unitSize={1}
        hint="Relative weight under contention · Docker default: 1024"
        {...(errors.cpuShares ? { error: errors.cpuShares } : {})}
      />
      <button type="button" className="link-btn" onClick={() => setMore(!more)} aria-expanded={more}>
        {more ? 'Fewer limits' : 'More limits (CPUs, processes)'}
      </button>
      {more && (
        <>
          <LimitSlider
            id="cpus"
            label="CPUs"
            scale={cpusScale(host?.ncpu ?? 1)}
            value={value.nanoCpus}
            onChange={set('nanoCpus')}
            unit="CPUs"
            unitSize={1e9}
            hint={`Docker default: unlimited · host has ${host?.ncpu ?? '?'}`}
            {...(errors.nanoCpus ? { error: errors.nanoCpus } : {})}
          />
          <LimitSlider
            id="pids"
            label="Processes"
            scale={pidsScale}
            value={value.pidsLimit}
            onChange={set('pidsLimit')}
            unit="pids"
            unitSize={1}
            hint="Docker default: unlimited"
            {...(errors.pidsLimit ? { error: errors.pidsLimit } : {})}
          />
        </>
      )}
    </div>
  );
}
