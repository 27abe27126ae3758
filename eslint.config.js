// Lint: typescript-eslint's type-aware recommended rules. Promises are the point: a floating or
// misused promise is an error; a deliberate fire-and-forget is written `void promise`.
import eslint from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', '**/dist/', 'src/generated/', 'coverage/', 'node_modules/', 'data/'] },
  eslint.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      '@typescript-eslint/no-floating-promises': ['error', { ignoreVoid: true }],
      '@typescript-eslint/no-misused-promises': 'error',
      // Async hooks and Promise-returning interface methods are async without awaiting by design
      // (a throw must become a rejection); flagging them would be noise, not a bug found.
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  {
    // Tests read untyped JSON bodies (supertest's `body` is `any`): the `any`-flow rules would only
    // add casts there, not catch bugs. The promise rules stay on.
    files: ['test/**/*.ts', 'src/**/*.spec.ts', 'src/**/testing/**/*.ts', 'packages/*/src/**/*.spec.ts', 'packages/*/src/testing/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    // Plain-JS scripts (bench, examples, build helpers) are not in a tsconfig: syntax rules only.
    files: ['**/*.js', '**/*.mjs'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { globals: globals.node },
  },
);
