/*
 * Types for the test utilities of @salesforce/sfdx-lwc-jest (the package ships none), as far as
 * this project's jest tests use them.
 */
declare module '@salesforce/sfdx-lwc-jest' {
  /** A wire adapter double: a test pushes values to the component through it. */
  export interface TestWireAdapter<Config = Record<string, unknown>> {
    emit(value: unknown): void;
    error(body?: unknown, status?: number, statusText?: string): void;
    getLastConfig(): Config;
  }
  export function createApexTestWireAdapter<Config = Record<string, unknown>>(
    fn: unknown
  ): TestWireAdapter<Config>;
  export function createLdsTestWireAdapter<Config = Record<string, unknown>>(
    fn: unknown
  ): TestWireAdapter<Config>;
  export function createTestWireAdapter<Config = Record<string, unknown>>(
    fn: unknown
  ): TestWireAdapter<Config>;
}
