// Lint rules: typescript-eslint's recommended type-aware set plus the RxJS rules that catch leaks,
// nested subscribes and unsafe operators.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import rxjsX from 'eslint-plugin-rxjs-x';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '**/*.cjs', 'eslint.config.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { 'rxjs-x': rxjsX },
    rules: {
      ...rxjsX.configs.recommended.rules,
      'rxjs-x/no-exposed-subjects': 'error',
      'rxjs-x/no-ignored-subscription': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-floating-promises': 'error',
    },
  },
  {
    files: ['spec/**/*.ts', 'marbles/**/*.ts', 'integration/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-expressions': 'off',
      'rxjs-x/no-ignored-subscription': 'off',
      'rxjs-x/no-exposed-subjects': 'off',
    },
  },
);
