import { LightningElement, api, wire } from 'lwc';
import { refreshApex } from '@salesforce/apex';
import getLogsForRecord from '@salesforce/apex/IntegrationLogController.getLogsForRecord';
import { apexErrorMessage } from 'c/apexErrors';

export interface LogEntryRow extends Apex.IntegrationLogView {
  badgeClass: string;
}

const BADGE_BY_SEVERITY: Record<Apex.IntegrationLogView['severity'], string> = {
  DEBUG: 'slds-badge',
  INFO: 'slds-badge',
  WARN: 'slds-badge slds-theme_warning',
  ERROR: 'slds-badge slds-theme_error',
  FATAL: 'slds-badge slds-theme_error'
};

/** Reads the message out of the shapes an Apex wire error can take. */
export const errorMessageOf = (error: Apex.Error | undefined): string =>
  apexErrorMessage(error, 'Unknown error');

/**
 * Lists the most recent integration log entries for the record on the page, newest first, with
 * the reference a user quotes to support. Read-only: entries are written by IntegrationLogger.
 */
export default class IntegrationLogList extends LightningElement {
  @api recordId?: string;
  @api maxRows = 10;

  entries: LogEntryRow[] = [];
  errorMessage?: string;
  isRefreshing = false;
  private wiredResult?: Apex.WireResult<Apex.IntegrationLogView[]>;

  @wire(getLogsForRecord, { recordId: '$recordId', maxRows: '$maxRows' })
  wiredLogs(result: Apex.WireResult<Apex.IntegrationLogView[]>): void {
    this.wiredResult = result;
    if (result.data) {
      this.entries = result.data.map((entry) => ({
        ...entry,
        badgeClass: BADGE_BY_SEVERITY[entry.severity] ?? 'slds-badge'
      }));
      this.errorMessage = undefined;
    } else if (result.error) {
      this.entries = [];
      this.errorMessage = `Integration logs could not be loaded: ${errorMessageOf(result.error)}`;
    }
  }

  get hasEntries(): boolean {
    return this.entries.length > 0;
  }

  get title(): string {
    return this.hasEntries ? `Integration Logs (${this.entries.length})` : 'Integration Logs';
  }

  async handleRefresh(): Promise<void> {
    if (!this.wiredResult) return;
    this.isRefreshing = true;
    try {
      await refreshApex(this.wiredResult);
    } finally {
      this.isRefreshing = false;
    }
  }
}
