// Builds the renderer into app/renderer/dist (served by Electron and by web
// mode) and, with --ssr, its server-side first page (src/ssr.tsx) into
// app/web/dist/ssr.js for the web server: one self-contained file with
// React's production build (the server runs without NODE_ENV).
import { defineConfig, type Plugin } from 'vite';
import { fileURLToPath } from 'node:url';

/**
 * main.tsx loads the app (src/boot.tsx) with import() once the server's first
 * page is painted; a modulepreload link has the browser fetch and compile
 * it (and the chunks it imports) from the start.
 */
function preloadBoot(): Plugin {
  return {
    name: 'wharf-preload-boot',
    apply: 'build',
    transformIndexHtml: {
      order: 'post',
      handler(_html, ctx) {
        const boot = Object.values(ctx.bundle ?? {}).find(
          (c) => c.type === 'chunk' && c.facadeModuleId?.endsWith('/src/boot.tsx'),
        );
        if (boot?.type !== 'chunk') return [];
        const entries = new Set(
          Object.values(ctx.bundle ?? {}).flatMap((c) =>
            c.type === 'chunk' && c.isEntry ? [c.fileName] : [],
          ),
        );
        return [boot.fileName, ...boot.imports.filter((f) => !entries.has(f))].map((file) => ({
          tag: 'link',
          attrs: { rel: 'modulepreload', crossorigin: true, href: `./${file}` },
          injectTo: 'head' as const,
        }));
      },
    },
  };
}

export default defineConfig(({ isSsrBuild }) => ({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  logLevel: 'warn',
  oxc: { jsx: { runtime: 'automatic', importSource: 'react' } },
  plugins: isSsrBuild ? [] : [preloadBoot()],
  ...(isSsrBuild
    ? {
        define: { 'process.env.NODE_ENV': JSON.stringify('production') },
        ssr: { noExternal: true },
      }
    : {}),
  build: isSsrBuild
    ? {
        outDir: fileURLToPath(new URL('../web/dist', import.meta.url)),
        emptyOutDir: true,
        sourcemap: false,
        rollupOptions: { output: { entryFileNames: '[name].js' } },
      }
    : {
        outDir: 'dist',
        emptyOutDir: true,
        chunkSizeWarningLimit: 1500,
        sourcemap: false,
      },
}));
