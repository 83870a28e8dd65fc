// The seam between the lifecycle service and engine/runtime/spec (the
// Docker -> OCI translation). The service only needs "give me config.json for
// this container" and "give me linux.resources for these HostConfig fields";
// both are injectable so tests and a rootless build can swap them.
import { buildOciSpec, buildResources } from './spec/index.js';
import type { OciResources, OciSpec } from './spec/oci-types.js';
import type { ContainerConfig, HostConfig } from './spec/docker-types.js';
import type { VolumeResolver } from './spec/mounts.js';

export interface SpecInput {
  id: string;
  config: ContainerConfig;
  hostConfig: HostConfig;
  /** Absolute path of the (mounted) rootfs. */
  rootfsPath: string;
  hostname: string;
  /** linux.cgroupsPath, /wharf/<id>. */
  cgroupsPath: string;
}

export interface SpecBuilder {
  spec(input: SpecInput): Promise<OciSpec>;
  resources(hostConfig: HostConfig): Promise<OciResources> | OciResources;
}

/** A SpecBuilder whose named volumes (Binds/Mounts) resolve through `resolveVolume`. */
export function createSpecBuilder(opts: { resolveVolume?: VolumeResolver } = {}): SpecBuilder {
  return {
    async spec(input) {
      const spec = await buildOciSpec({
        resolveVolume: opts.resolveVolume,
        id: input.id,
        config: input.config,
        hostname: input.hostname,
        hostConfig: input.hostConfig,
        rootfs: input.rootfsPath,
        cgroupsPath: input.cgroupsPath,
      });
      spec.hostname = input.hostname;
      spec.linux.cgroupsPath = input.cgroupsPath;
      return spec;
    },
    resources(hostConfig) {
      return buildResources(hostConfig);
    },
  };
}

export const defaultSpecBuilder: SpecBuilder = createSpecBuilder();
