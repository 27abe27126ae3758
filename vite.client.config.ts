import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = (relative: string) => fileURLToPath(new URL(relative, import.meta.url));

/** The browser client as one minified ES module, dist/client/gatehouse-client.js (types by tsc). */
export default defineConfig({
  logLevel: 'warn',
  build: {
    lib: { entry: here('client/src/gatehouse-client.ts'), formats: ['es'], fileName: () => 'gatehouse-client.js' },
    outDir: here('dist/client'),
    emptyOutDir: false,
    target: 'es2022',
    minify: true,
    // Lib mode keeps whitespace in ES output by default; this module is served as is, so squeeze it.
    rolldownOptions: { output: { minify: true } },
  },
});
