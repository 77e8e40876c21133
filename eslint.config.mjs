// ESLint flat config for the whole monorepo (`npm run lint` = eslint + prettier --check).
//
// - TypeScript is linted with type information from the root tsconfig.json, whose `include` covers
//   every linted .ts file (libs/*/src, libs/*/test, apps/*/src, test, bench).
// - Circular imports are errors (import-x/no-cycle). Imports are resolved by import-x's built-in
//   resolver (unrs-resolver, no extra package) reading the root tsconfig's `paths`, so a cycle
//   through `@statehouse/core` is seen as well as one through relative imports.
// - Plain .js/.mjs/.cjs files (scripts, jest.config.js, test fixtures) run on Node and are linted
//   without type information.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import { createNodeResolver, importX } from 'eslint-plugin-import-x';
// `globals` is installed with ESLint itself (a dependency of @eslint/eslintrc).
import globals from 'globals';
import tseslint from 'typescript-eslint';

const rootDir = path.dirname(fileURLToPath(import.meta.url));

const tsFiles = ['**/*.ts', '**/*.mts', '**/*.cts'];
const jsFiles = ['**/*.js', '**/*.mjs', '**/*.cjs'];
const testFiles = ['**/*.spec.ts', '**/*.test.ts', '**/test/**/*.ts'];

export default defineConfig(
  {
    name: 'statehouse/ignores',
    ignores: [
      '**/node_modules/**',
      '**/dist/**',
      'bench/dist/**',
      'bench/results/**',
      'coverage/**',
      'data/**',
      // Written by proto-loader-gen-types (npm run proto:types); proto-types.spec.ts keeps them fresh.
      '**/src/**/generated/**',
    ],
  },
  {
    name: 'statehouse/linter-options',
    linterOptions: { reportUnusedDisableDirectives: 'error' },
  },

  js.configs.recommended,
  {
    name: 'statehouse/prettier',
    rules: {
      // Formatting is prettier's; it breaks long chains before `[Symbol.asyncIterator]()` and
      // always writes semicolons, so the ASI hazard this rule guards against cannot occur
      // (eslint-config-prettier turns it off for the same reason).
      'no-unexpected-multiline': 'off',
    },
  },

  // TypeScript, type-aware.
  {
    name: 'statehouse/typescript',
    files: tsFiles,
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: {
        project: ['./tsconfig.json'],
        tsconfigRootDir: rootDir,
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
    },
  },

  // The web inspector (apps/inspector): browser code, typed by its own tsconfig (DOM, Preact JSX).
  {
    name: 'statehouse/inspector',
    files: ['apps/inspector/src/**/*.ts', 'apps/inspector/src/**/*.tsx'],
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      globals: { ...globals.browser },
      parserOptions: {
        project: ['./apps/inspector/tsconfig.json'],
        tsconfigRootDir: rootDir,
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
    },
  },

  // Circular imports are errors.
  {
    name: 'statehouse/import-cycles',
    files: [...tsFiles, ...jsFiles],
    plugins: { 'import-x': importX },
    settings: {
      'import-x/extensions': ['.ts', '.mts', '.cts', '.js', '.mjs', '.cjs'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts', '.mts', '.cts'] },
      'import-x/resolver-next': [
        createNodeResolver({
          extensions: ['.ts', '.mts', '.cts', '.js', '.mjs', '.cjs', '.json', '.node'],
          tsconfig: { configFile: path.join(rootDir, 'tsconfig.json') },
        }),
      ],
    },
    rules: {
      'import-x/no-cycle': 'error',
    },
  },

  // Tests: jest's asymmetric matchers (`expect.any(...)`, `expect.objectContaining(...)`) are typed
  // `any`, and `expect(obj.method)` passes methods unbound on purpose.
  {
    name: 'statehouse/tests',
    files: testFiles,
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },

  // Plain JavaScript (scripts/, jest.config.js, fixtures): Node globals, no type information.
  {
    name: 'statehouse/javascript',
    files: jsFiles,
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: {
      ecmaVersion: 2023,
      globals: { ...globals.node },
    },
  },
  {
    name: 'statehouse/commonjs',
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
  },
);
