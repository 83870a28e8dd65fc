// Moved to engine/util/atomic-file.ts (shared with engine/storage); kept so
// existing imports of '../runtime/atomic-file.js' keep working.
export { writeFileAtomic, writeJsonAtomic } from '../util/atomic-file.js';
