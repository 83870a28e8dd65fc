import { createOverlayStorage } from './overlay.js';
import { storageConformance } from './testsuite.js';

storageConformance('overlay', createOverlayStorage);
