/*
 * Types of the Apex methods LWCs import. The platform provides `@salesforce/apex/*` modules at
 * run time; these declarations mirror each @AuraEnabled signature so `tsc` checks the calls.
 * The gate's lwc-apex check verifies every imported method exists and is @AuraEnabled.
 */

declare namespace Apex {
  /** The error an Apex call rejects with, or a wire delivers. */
  interface Error {
    body?: { message?: string } | { message?: string }[];
    message?: string;
    status?: number;
    statusText?: string;
  }

  /** What an Apex wire delivers: data or error, neither while loading. */
  interface WireResult<T> {
    data?: T;
    error?: Error;
  }

  /**
   * An imported @AuraEnabled method: callable imperatively and, when cacheable, usable with
   * `@wire` (whose adapter delivers a WireResult).
   */
  type Method<Params, Result> = ((params: Params) => Promise<Result>) &
    import('lwc').WireAdapterConstructor<Params, WireResult<Result>>;

  /** IntegrationLogView.cls: one integration log entry as the UI sees it. */
  interface IntegrationLogView {
    id: string;
    name: string;
    reference: string;
    source: string;
    severity: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'FATAL';
    correlationId?: string;
    recordId?: string;
    message?: string;
    loggedAt?: string;
  }
}

declare module '@salesforce/apex/IntegrationLogController.getLogsForRecord' {
  const getLogsForRecord: Apex.Method<
    { recordId: string; maxRows?: number },
    Apex.IntegrationLogView[]
  >;
  export default getLogsForRecord;
}

declare module '@salesforce/apex/IntegrationLogController.getLogByReference' {
  const getLogByReference: Apex.Method<{ reference: string }, Apex.IntegrationLogView | null>;
  export default getLogByReference;
}

declare module '@salesforce/apex' {
  /** Re-runs the Apex method behind a wired result and re-delivers its value. */
  export function refreshApex(wiredResult: Apex.WireResult<unknown>): Promise<void>;
}
