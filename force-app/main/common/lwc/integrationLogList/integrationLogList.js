import { LightningElement, api, wire } from 'lwc';
import { refreshApex } from '@salesforce/apex';
import getLogsForRecord from '@salesforce/apex/IntegrationLogController.getLogsForRecord';
import { apexErrorMessage } from 'c/apexErrors';
const BADGE_BY_SEVERITY = {
    DEBUG: 'slds-badge',
    INFO: 'slds-badge',
    WARN: 'slds-badge slds-theme_warning',
    ERROR: 'slds-badge slds-theme_error',
    FATAL: 'slds-badge slds-theme_error'
};
/** Reads the message out of the shapes an Apex wire error can take. */
export const errorMessageOf = (error) => apexErrorMessage(error, 'Unknown error');
/**
 * Lists the most recent integration log entries for the record on the page, newest first, with
 * the reference a user quotes to support. Read-only: entries are written by IntegrationLogger.
 */
export default class IntegrationLogList extends LightningElement {
    @api
    recordId;
    @api
    maxRows = 10;
    entries = [];
    errorMessage;
    isRefreshing = false;
    wiredResult;
    @wire(getLogsForRecord, { recordId: '$recordId', maxRows: '$maxRows' })
    wiredLogs(result) {
        this.wiredResult = result;
        if (result.data) {
            this.entries = result.data.map((entry) => ({
                ...entry,
                badgeClass: BADGE_BY_SEVERITY[entry.severity] ?? 'slds-badge'
            }));
            this.errorMessage = undefined;
        }
        else if (result.error) {
            this.entries = [];
            this.errorMessage = `Integration logs could not be loaded: ${errorMessageOf(result.error)}`;
        }
    }
    get hasEntries() {
        return this.entries.length > 0;
    }
    get title() {
        return this.hasEntries ? `Integration Logs (${this.entries.length})` : 'Integration Logs';
    }
    async handleRefresh() {
        if (!this.wiredResult)
            return;
        this.isRefreshing = true;
        try {
            await refreshApex(this.wiredResult);
        }
        finally {
            this.isRefreshing = false;
        }
    }
}
