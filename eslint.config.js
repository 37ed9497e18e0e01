import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', 'data/', 'test-artifacts/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: { ...globals.node },
    },
    rules: {
      // Logs go through the Nest logger (pino), which redacts secrets.
      'no-console': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-unsafe-function-type': 'off',
      eqeqeq: ['error', 'always'],
    },
  },
  {
    // Only the configuration module reads the environment.
    files: ['src/**/*.ts'],
    rules: {
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: 'Read settings from the injected AppConfig (config/).' },
      ],
      // `moduleRef.get(X, { strict: false })` reaches a provider of a module
      // that is not imported, which hides a dependency (often a cycle) from
      // the module imports and from dependency-cruiser.
      'no-restricted-syntax': [
        'error',
        {
          selector: "Property[key.name='strict'][value.value=false]",
          message:
            'No ModuleRef detour: import the module that exports the service, or invert the dependency (see docs/tour.md).',
        },
      ],
    },
  },
  {
    // Services take values (actor, form input, request facts, session state)
    // and return results: the controller owns the HTTP exchange.
    files: ['src/**/*.service.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: 'express', message: 'Services take values, not HTTP: the controller reads the request and writes the response.' },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    // CommonJS configuration files load each other with require().
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['**/*.spec.ts', '**/*.e2e-spec.ts', 'test/**/*.ts'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off' },
  },
);
