// ESLint 9 flat config. LWCs use Salesforce's LWC rules (@salesforce/eslint-config-lwc); their
// TypeScript is parsed by typescript-eslint rather than the config's Babel parser, which trips
// on type assertions. Node-side TypeScript (scripts, gate, services) gets typescript-eslint's
// recommended rules.
import js from '@eslint/js';
import lwcConfig from '@salesforce/eslint-config-lwc';
import jestPlugin from 'eslint-plugin-jest';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const lwcFiles = ['force-app/**/lwc/**/*.ts'];

export default [
  {
    ignores: [
      'node_modules/**',
      'coverage/**',
      '.cache/**',
      '.sf/**',
      '.sfdx/**',
      'gate/fixtures/**',
      // compiled from the TypeScript sources by `npm run build:lwc`
      'force-app/**/lwc/**/*.js',
      'force-app/types/**'
    ]
  },
  ...lwcConfig.configs.recommendedTs.map((config) => ({ ...config, files: lwcFiles })),
  {
    files: lwcFiles,
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: { sourceType: 'module' }
    },
    plugins: { '@typescript-eslint': tseslint.plugin },
    rules: {
      // TypeScript resolves identifiers itself; no-undef cannot see type-only names.
      'no-undef': 'off',
      'no-unused-vars': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }]
    }
  },
  {
    files: ['force-app/**/lwc/**/__tests__/**/*.ts', 'jest/**/*.ts'],
    plugins: { jest: jestPlugin },
    languageOptions: { globals: { ...globals.node, ...globals.jest } },
    rules: {
      ...jestPlugin.configs['flat/recommended'].rules,
      '@lwc/lwc/no-unexpected-wire-adapter-usages': 'off'
    }
  },
  ...tseslint.configs.recommended.map((config) => ({
    ...config,
    files: [
      'toolkit/**/*.ts',
      'scripts/**/*.ts',
      'gate/**/*.ts',
      'lab/**/*.ts',
      'bench/**/*.ts',
      'services/**/*.ts',
      'simulators/**/*.ts'
    ]
  })),
  {
    files: ['*.js', '*.config.js', 'jest/**/*.js'],
    ...js.configs.recommended,
    languageOptions: { globals: { ...globals.node } }
  }
];
