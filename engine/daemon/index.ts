// engine/daemon: `wharf daemon` — lock, config, services, API listeners, restart policies.
export { startDaemon, runDaemon, type RunningDaemon } from './daemon.js';
export { DEFAULT_HOST, DEFAULT_CONFIG_FILE, mergeConfigFile, type DaemonOptions } from './config.js';
export { DaemonLockedError } from './lock.js';
