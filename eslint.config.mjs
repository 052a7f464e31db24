// One lint config for the whole repo. Workflow files get an extra rule set: they run in Temporal's
// deterministic sandbox, so Node built-ins and I/O libraries are banned there.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

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
        projectService: { allowDefaultProject: ['*.mjs', 'scripts/*.mjs', 'bin/*.mjs', 'deploy/*.mjs'] },
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
    },
  },
  {
    files: ['**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly', setTimeout: 'readonly' } },
  },
  {
    files: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['node:*'], message: 'Workflow code runs in a deterministic sandbox: no Node built-ins.' },
            {
              group: ['axios', 'zod', '@temporalio/client', '@temporalio/worker', '@temporalio/activity'],
              message: 'No I/O or validation libraries in workflow code.',
            },
            {
              group: ['fs', 'http', 'https', 'net', 'child_process', 'crypto', 'os', 'path'],
              message: 'No Node built-ins in workflow code.',
            },
          ],
        },
      ],
    },
  },
);
