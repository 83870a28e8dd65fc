// Images in and out of files: save/load (docker-archive and OCI image layout)
// and import of a root filesystem tarball. See formats.ts for the formats.
export { loadImages, type LoadedImage, type LoadOptions, type LoadProgress } from './load.js';
export { saveImages, checkSaveable, type SaveFormat, type SaveOptions } from './save.js';
export { importImage, type ImportOptions } from './import.js';
