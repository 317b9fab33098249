// Jest for the TypeScript LWCs, on Salesforce's sfdx-lwc-jest preset (which transforms .ts
// directly and stubs lightning/* base components). Node-side code uses node:test instead.
import lwcJest from '@salesforce/sfdx-lwc-jest/config.js';

const { jestConfig } = lwcJest;

export default {
  ...jestConfig,
  testMatch: ['<rootDir>/force-app/**/__tests__/**/*.test.ts'],
  modulePathIgnorePatterns: ['<rootDir>/.cache/', '<rootDir>/gate/fixtures/'],
  // Measure the TypeScript sources, not the compiled .js next to them.
  collectCoverageFrom: ['force-app/**/lwc/**/*.ts', '!force-app/**/__tests__/**'],
  coverageThreshold: { global: { statements: 85, branches: 75, functions: 85, lines: 85 } }
};
