// ESLint 9 flat config. LWCs use Salesforce's LWC rules (@salesforce/eslint-config-lwc); their
// TypeScript is parsed by typescript-eslint rather than the config's Babel parser, which trips
// on type assertions. Node-side TypeScript (scripts, gate, services) gets typescript-eslint's
// recommended rules.
import js from '@eslint/js';
import lwcConfig from '@salesforce/eslint-config-lwc';
import importPlugin from 'eslint-plugin-import';
import jestPlugin from 'eslint-plugin-jest';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const lwcFiles = ['force-app/**/lwc/**/*.ts'];

// The layers of the Node side, bottom to top. Dependencies point down only:
//   toolkit/          generic pieces every layer uses (CLI, env config, backoff, ids, JSON bodies)
//                     and the org schema model (toolkit/src/salesforce-schema: objects and fields
//                     from the project's metadata plus standard objects), which the org emulator
//                     and the gate's cross-reference checks share, and the SOQL parser
//                     (toolkit/src/soql) the org emulator and the services share
//   simulators/<x>/   one external system each; the toolkit only, never another simulator
//   gate/             the on-platform verification gate; the toolkit only
//   services/src/platform/   the services platform; the toolkit only
//   services/src/<slice>/    one scenario; the platform through its entry point, and the toolkit
//   scripts/          org lifecycle; the toolkit and the gate (its LWC build)
//   lab/, bench/, tests      compose everything below
// toolkit/testing/ holds test helpers: tests, the lab's tests and benches only.
const SIMULATORS = ['salesforce', 'sap', 'securepay', 'backcheck', 'devices'];
const SLICES = [
  'account-sync',
  'payments',
  'background-check',
  'activity',
  'finance',
  'property-media'
];
const above = (...paths) => paths.map((path) => `./${path}`);
const layering = [
  {
    target: './toolkit',
    from: above('simulators', 'services', 'scripts', 'gate', 'lab', 'bench'),
    message: 'The toolkit is the bottom layer: it imports nothing of the project.'
  },
  {
    target: './simulators',
    from: above('services', 'scripts', 'gate', 'lab', 'bench'),
    message: 'Simulators depend on the toolkit only (they stand in for systems the services call).'
  },
  ...SIMULATORS.map((simulator) => ({
    target: `./simulators/${simulator}`,
    from: SIMULATORS.filter((other) => other !== simulator).map((other) => `./simulators/${other}`),
    message: 'A simulator does not import another one: share through the toolkit.'
  })),
  {
    target: './gate',
    from: above('simulators', 'services', 'scripts', 'lab', 'bench'),
    message: 'The gate depends on the toolkit only.'
  },
  {
    target: './services/src',
    from: above('simulators', 'scripts', 'gate', 'lab', 'bench', 'services/test'),
    message:
      'Services depend on the platform and the toolkit only (simulators are for tests and the lab).'
  },
  {
    target: './services/src/platform',
    from: SLICES.map((slice) => `./services/src/${slice}`),
    message: 'The platform does not know the scenario services built on it.'
  },
  ...SLICES.map((slice) => ({
    target: `./services/src/${slice}`,
    from: ['./services/src/platform'],
    except: ['./index.ts'],
    message:
      'A scenario service imports the platform through its entry point, services/src/platform/index.ts.'
  })),
  ...SLICES.map((slice) => ({
    target: `./services/src/${slice}`,
    from: SLICES.filter((other) => other !== slice).map((other) => `./services/src/${other}`),
    message: 'Scenario services are independent of each other.'
  })),
  {
    target: './scripts',
    from: above('simulators', 'services', 'lab', 'bench'),
    message: 'Scripts depend on the toolkit and the gate only.'
  },
  {
    target: [
      './toolkit/src',
      './simulators/*/src',
      './gate/src',
      './services/src',
      './scripts/lib',
      './lab/src'
    ],
    from: ['./toolkit/testing'],
    message: 'Test helpers are for tests and benches only.'
  }
];

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
    files: [
      'toolkit/**/*.ts',
      'simulators/**/*.ts',
      'gate/**/*.ts',
      'services/**/*.ts',
      'scripts/**/*.ts',
      'lab/**/*.ts',
      'bench/**/*.ts'
    ],
    plugins: { import: importPlugin },
    settings: { 'import/resolver': { node: { extensions: ['.ts', '.js'] } } },
    rules: { 'import/no-restricted-paths': ['error', { zones: layering }] }
  },
  {
    files: ['*.js', '*.config.js', 'jest/**/*.js'],
    ...js.configs.recommended,
    languageOptions: { globals: { ...globals.node } }
  }
];
