/**
 * The message of a failed Apex call, or of any other rejection, for the user. Apex errors arrive
 * as `{ body: { message } }` (an AuraHandledException) or `{ body: [{ message }, ...] }` (record
 * and DML errors); anything else falls back to its own `message`, then to `fallback`.
 * One module for every component (a service component: no template, not exposed).
 */
export function apexErrorMessage(error, fallback = 'An unexpected error occurred.') {
    const e = error;
    const body = e?.body;
    const fromBody = Array.isArray(body)
        ? body
            .map((b) => b.message)
            .filter(Boolean)
            .join(', ')
        : body?.message;
    return fromBody || e?.message || fallback;
}
