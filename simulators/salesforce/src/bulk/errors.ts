/**
 * The errors Bulk API 2.0 answers with, in Salesforce's REST error shape
 * (`[{"errorCode","message"}]`). Bulk API 2.0 reports job-level problems with its own upper-case
 * codes (`INVALIDJOB`, `INVALIDJOBSTATE`, `API_ERROR`) rather than the REST API's; where the
 * documentation or a captured real response gives the exact text it is used verbatim (see the
 * comment on each), otherwise the message follows the same style.
 */
import { SalesforceApiError } from '../model.ts';
import { to15 } from '../ids.ts';

/** An unknown (or deleted) job id: the REST API's standard 404. */
export function jobNotFound(): SalesforceApiError {
  return new SalesforceApiError(404, 'NOT_FOUND', 'The requested resource does not exist');
}

/**
 * A job property with a value outside its enumeration. Real text for an empty `operation`:
 * `Invalid value: '' supplied for property: 'operation'` (captured create-job responses).
 */
export function invalidProperty(property: string, value: unknown): SalesforceApiError {
  const shown = value === undefined || value === null ? 'null' : String(value);
  return new SalesforceApiError(
    400,
    'API_ERROR',
    `Invalid value: '${shown}' supplied for property: '${property}'`
  );
}

/** Ingest job on an object the org does not have: `InvalidJob : Unable to find object: X`. */
export function unknownObject(name: string): SalesforceApiError {
  return new SalesforceApiError(400, 'INVALIDJOB', `InvalidJob : Unable to find object: ${name}`);
}

/**
 * Upsert job whose `externalIdFieldName` is not an external id (or Id) of the object; the real
 * text keeps the double space when the name is empty.
 */
export function notAnExternalId(field: string, object: string): SalesforceApiError {
  return new SalesforceApiError(
    400,
    'INVALIDJOB',
    `InvalidJob : Field name provided, ${field} does not match an External ID for ${object}`
  );
}

/** A job update to a state the job cannot move to (Bulk API 2.0 error code InvalidJobState). */
export function invalidJobState(message: string): SalesforceApiError {
  return new SalesforceApiError(400, 'INVALIDJOBSTATE', `InvalidJobState : ${message}`);
}

/**
 * Closing an ingest job that received more than one upload. Real response (400, verbatim,
 * misspelling and 15-character id included).
 */
export function multipleUploads(jobId: string): SalesforceApiError {
  return new SalesforceApiError(
    400,
    'INVALIDJOB',
    `Found multipe contents for job: <${to15(jobId)}>, please 'Close' / 'Abort' / 'Delete' the current Job then create a new Job and make sure you only do 'PUT' once on a given Job.`
  );
}

/** DELETE of a job still running (documented under "Delete a Query Job", 400 verbatim). */
export function deleteNotTerminated(): SalesforceApiError {
  return new SalesforceApiError(
    400,
    'API_ERROR',
    'Error encountered when deleting the job because the job is not terminated'
  );
}

/** Salesforce's spelling of a job state inside error messages (`IN_PROGRESS`). */
function upperSnake(state: string): string {
  return state.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase();
}

/**
 * Results of a query job that has not completed: documented as
 * `412 Precondition Failed` with this code and message (Get Results for a Query Job, API 47-48
 * reference pages).
 */
export function resultsNotReady(state: string): SalesforceApiError {
  return new SalesforceApiError(
    412,
    'JOB_NOT_COMPLETE',
    `can only download query results of successfully completed bulk job with status: JOB_COMPLETE. Current status: ${upperSnake(state)}`
  );
}

/** A `locator` that this job never handed out. */
export function invalidLocator(locator: string): SalesforceApiError {
  return new SalesforceApiError(400, 'INVALID_QUERY_LOCATOR', `Invalid locator: ${locator}`);
}

/** `maxRecords` that is not a positive integer. */
export function invalidMaxRecords(value: string): SalesforceApiError {
  return new SalesforceApiError(
    400,
    'API_ERROR',
    `Invalid value: '${value}' supplied for parameter: 'maxRecords'`
  );
}

/**
 * Results asked for with another API version than the job's: documented as a 409 ("Use the same
 * API version to get query results that you used to create the query").
 */
export function versionMismatch(jobVersion: string, requestVersion: string): SalesforceApiError {
  return new SalesforceApiError(
    409,
    'API_ERROR',
    `The API version ${requestVersion} of this request does not match the version ${jobVersion} the job was created with`
  );
}

/** An upload over the documented 150 MB of base64-encoded content. */
export function uploadTooLarge(): SalesforceApiError {
  return new SalesforceApiError(
    413,
    'REQUEST_ENTITY_TOO_LARGE',
    'Job data exceeds the maximum of 150 MB of base64-encoded content (about 110 MB of CSV)'
  );
}
