// Type-aware promise rules are the point: a floating promise in a pipeline
// stage is a silent stall or an unhandled rejection at 3 a.m.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const promiseRules = {
  '@typescript-eslint/no-floating-promises': 'error',
  '@typescript-eslint/no-misused-promises': 'error',
  '@typescript-eslint/await-thenable': 'error',
};

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'scratch/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['agent/**/*.ts', 'bench/**/*.ts', 'tools/**/*.ts', 'test/**/*.ts'],
    languageOptions: { parserOptions: { project: ['./tsconfig.test.json'], tsconfigRootDir: import.meta.dirname } },
    rules: { ...promiseRules, '@typescript-eslint/no-non-null-assertion': 'off' },
  },
  {
    // The preview viewer: browser JS, type-checked against the DOM by tsconfig.viewer.json, which also
    // catches undefined names (so no-undef, which knows no browser globals here, is off, as typescript-eslint advises).
    files: ['agent/preview/viewer/**/*.js'],
    languageOptions: { sourceType: 'module', parserOptions: { project: ['./tsconfig.viewer.json'], tsconfigRootDir: import.meta.dirname } },
    rules: { ...promiseRules, 'no-undef': 'off' },
  },
);
