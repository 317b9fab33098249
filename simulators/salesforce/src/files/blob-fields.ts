/**
 * Blob (base64) fields on the wire. A real org never puts a blob inline in a query result or a
 * record GET: it answers the URL of the blob resource (REST API Developer Guide, "Get Blob Data":
 * `"VersionData": "/services/data/v65.0/sobjects/ContentVersion/068.../VersionData"`), which
 * streams the binary.
 */
import type { FieldDescribe, SObjectDescribe } from '../model.ts';

/**
 * The stored value of a blob field whose bytes live in the file store (a multipart upload too
 * large to keep inline). `@` is outside the base64 alphabet, so no API write can store it.
 */
export const FILE_STORE_MARKER = '@file-store';

export function blobUrl(apiVersion: string, objectName: string, id: string, field: string): string {
  return `/services/data/v${apiVersion}/sobjects/${objectName}/${id}/${field}`;
}

/** A stored blob value as an API answer shows it: its URL, or null when the record has none. */
export function blobValue(
  apiVersion: string,
  objectName: string,
  id: unknown,
  field: FieldDescribe,
  stored: unknown
): string | null {
  if (stored === null || stored === undefined || stored === '') return null;
  return blobUrl(apiVersion, objectName, String(id), field.name);
}

export function blobField(object: SObjectDescribe, name: string): FieldDescribe | undefined {
  const lower = name.toLowerCase();
  return object.fields.find(
    (field) => field.type === 'base64' && field.name.toLowerCase() === lower
  );
}
