// typescript-eslint with type information (STYLE.md §17): floating and misused promises and
// non-exhaustive switches are errors; zero warnings allowed (`npm run lint`). tsconfig.eslint.json
// covers sources and tests (the build's tsconfigs leave tests out).
//
// Import boundaries (docs/ARCHITECTURE.md "Import rules"), enforced here and checked by
// test/boundaries.test.ts: another workspace only by its package name and public exports (no
// `@voc/*/src/*`, no relative path out of the workspace); only packages/db imports `pg`; services
// never import services or tools; packages never import services or tools.
import tseslint from 'typescript-eslint';

const deepImports = {
  group: ['@voc/*/src', '@voc/*/src/*', '@voc/*/dist', '@voc/*/dist/*'],
  message: 'import another workspace by its package name, not its files',
};
const deepRelative = {
  regex: '^(\\.\\./)+((packages|services|tools)/|[^.][^/]*/(src|dist)/)',
  message: 'no relative import across workspaces: import the package by name',
};
const pg = { name: 'pg', message: 'only packages/db imports pg: use a repository of @voc/db' };
const services = {
  group: [
    '@voc/gateway',
    '@voc/writer',
    '@voc/hotspot-worker',
    '@voc/cli',
    '@voc/api',
    '@voc/tools',
    '@voc/gateway/*',
    '@voc/writer/*',
    '@voc/hotspot-worker/*',
    '@voc/cli/*',
    '@voc/tools/*',
  ],
  message: 'packages and services never import a service or the tools: move the shared code into a package',
};

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '.cache/**', 'bench/results/**', 'eslint.config.js', 'vitest.config.ts'] },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { project: ['./tsconfig.eslint.json'], tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-restricted-imports': ['error', { paths: [pg], patterns: [deepImports, deepRelative] }],
    },
  },
  {
    files: ['packages/*/src/**/*.ts', 'services/*/src/**/*.ts'],
    ignores: ['packages/db/src/**'],
    rules: { 'no-restricted-imports': ['error', { paths: [pg], patterns: [deepImports, deepRelative, services] }] },
  },
  {
    files: ['packages/db/src/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [deepImports, deepRelative, services] }] },
  },
  {
    // Test doubles implement async ports without awaiting and pass methods around as spies.
    files: ['**/*.test.ts'],
    rules: {
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/unbound-method': 'off',
      // vitest's asymmetric matchers (expect.any, expect.objectContaining) are typed any.
      '@typescript-eslint/no-unsafe-assignment': 'off',
    },
  },
);
