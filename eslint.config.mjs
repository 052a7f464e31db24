// One lint config for the whole repo. Workflow files get an extra rule set: they run in Temporal's
// deterministic sandbox, so Node built-ins and I/O libraries are banned there.
import { builtinModules } from 'node:module';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Node's built-in modules, with and without the `node:` prefix. */
const NODE_BUILTINS = [...builtinModules.filter((m) => !m.startsWith('_')), 'node:*'];

export default tseslint.config(
  // examples/ are apps of their own that import the installed package: test/package type-checks and runs them.
  {
    ignores: [
      'node_modules/**',
      'dist/**',
      '.cache/**',
      '.temporal/**',
      '.scratch/**',
      'bench/results/**',
      'examples/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ['*.mjs', '*.cjs', 'scripts/*.mjs', 'bin/*.mjs', 'deploy/*.mjs'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        // node:test's describe/it/test return promises the runner itself awaits.
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['describe', 'it', 'test', 'suite'] },
          ],
        },
      ],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/require-await': 'off',
      eqeqeq: ['error', 'always', { null: 'ignore' }],
    },
  },
  {
    files: ['**/*.mjs', '**/*.cjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      globals: {
        module: 'writable',
        process: 'readonly',
        console: 'readonly',
        URL: 'readonly',
        setTimeout: 'readonly',
      },
    },
  },
  {
    files: ['workflows/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          // From workflows/, these olostep/ modules load zod and axios (types from them are fine).
          paths: [
            '../olostep',
            '../olostep/index',
            '../olostep/client',
            '../olostep/schemas',
            '../olostep/response-errors',
          ].map((name) => ({
            name,
            allowTypeImports: true,
            message: 'It loads zod and axios: import olostep/normalize, snapshot, enums or errors instead.',
          })),
          patterns: [
            { group: NODE_BUILTINS, message: 'Workflow code runs in a deterministic sandbox: no Node built-ins.' },
            {
              group: ['axios', 'zod', '@temporalio/client', '@temporalio/worker', '@temporalio/activity'],
              message: 'No I/O or validation libraries in workflow code.',
            },
          ],
        },
      ],
    },
  },
);
