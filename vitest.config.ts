import { fileURLToPath } from 'node:url';
import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';

const verifierSource = fileURLToPath(new URL('./packages/verifier/src/', import.meta.url));

export default defineConfig({
  // SWC compiles the decorators with their metadata (Nest's DI needs it); esbuild cannot.
  plugins: [swc.vite({ module: { type: 'es6' }, jsc: { target: 'es2022' } })],
  oxc: false,
  resolve: {
    // Tests run the verifier package from its source (the server imports it as
    // @gatehouse/verifier/<entry>, which maps one to one onto packages/verifier/src/<entry>.ts).
    alias: [
      { find: /^@gatehouse\/verifier$/, replacement: `${verifierSource}index.ts` },
      { find: /^@gatehouse\/verifier\/(.+)$/, replacement: `${verifierSource}$1.ts` },
    ],
  },
  test: {
    include: ['src/**/*.spec.ts', 'packages/*/src/**/*.spec.ts', 'test/**/*.spec.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: ['default', './test/support/summary-reporter.ts'],
  },
});
