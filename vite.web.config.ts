import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = (relative: string) => fileURLToPath(new URL(relative, import.meta.url));

/**
 * Gatehouse's UI: plain TypeScript and DOM, built to dist/public (served by src/ui/serve-ui.ts).
 * No inline script or style anywhere, so the strict CSP holds.
 */
export default defineConfig({
  root: here('web'),
  logLevel: 'warn',
  build: {
    outDir: here('dist/public'),
    emptyOutDir: true,
    target: 'es2022',
    // The preload polyfill is for browsers without modulepreload; it would also be inline-free, but it is dead weight.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
  },
});
