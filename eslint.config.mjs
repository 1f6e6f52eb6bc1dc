// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const FRAMEWORK_AND_IO = ['@nestjs/*', 'typeorm', 'typeorm/*', 'kafkajs', 'ioredis', 'pg', 'pg-*', 'express', '@clearwork/platform'];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.run/**', 'coverage/**', 'data/**', 'reports/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
      '@typescript-eslint/no-unsafe-function-type': 'off',
      'no-console': 'off',
    },
  },
  {
    // The audit service's pages: hand-written scripts the browser runs as classic scripts.
    files: ['apps/*/src/pages/**/*.js'],
    languageOptions: {
      sourceType: 'script',
      globals: { window: 'readonly', document: 'readonly', fetch: 'readonly', URLSearchParams: 'readonly', globalThis: 'readonly' },
    },
  },
  {
    // The pure cores hold the domain logic: no framework, no driver, no I/O adapters.
    files: ['libs/*-core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: FRAMEWORK_AND_IO,
              message: 'libs/*-core must stay pure: no Nest, TypeORM, kafkajs, ioredis, pg or platform imports. Put adapters in libs/platform or the app.',
            },
          ],
        },
      ],
    },
  },
);
