// Every endpoint the API serves, by resource (one file each).
import type { Engine } from './engine.js';
import { Router } from './router.js';
import { systemRoutes } from './system.js';
import { containerRoutes } from './containers.js';
import { containerIoRoutes } from './container-io.js';
import { execRoutes } from './exec.js';
import { containerFsRoutes } from './container-fs.js';
import { containerStatsRoutes } from './container-stats.js';
import { imageRoutes } from './images.js';
import { commitRoutes } from './commit.js';
import { placeholderRoutes } from './placeholders.js';
import { volumeRoutes } from './volumes.js';

export function buildRouter(e: Engine): Router {
  const r = new Router();
  systemRoutes(r, e);
  containerRoutes(r, e);
  containerIoRoutes(r, e);
  execRoutes(r, e);
  containerFsRoutes(r, e);
  containerStatsRoutes(r, e);
  imageRoutes(r, e);
  commitRoutes(r, e);
  volumeRoutes(r, e);
  placeholderRoutes(r);
  return r;
}
