// engine/api: the Docker Engine API over a unix socket (DESIGN.md, "The one
// contract"). The daemon (engine/daemon) builds an Engine from the services
// and serves buildRouter(engine) through one ApiServer per listen address.
export { ApiServer, type ApiServerOptions } from './server.js';
export { Engine, type EngineOptions, type DaemonSettings, type RestartHooks } from './engine.js';
export { buildRouter } from './routes.js';
export { API_VERSION, MIN_API_VERSION } from './http.js';
export { ApiError } from './errors.js';
