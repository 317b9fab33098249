/**
 * What the platform does on its own when some objects are written: compound names, custom
 * metadata labels, an Attachment's BodyLength, and the Files model (a ContentVersion insert creates its ContentDocument and
 * the ContentDocumentLinks to the owner and to FirstPublishLocationId). What a delete does to
 * other records follows the relationships' delete rules (delete-rules.ts).
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import type { Principal, SfRecord, SObjectDescribe } from '../model.ts';
import { COMPOUND_NAME_OBJECTS } from '../../../../toolkit/src/salesforce-schema/standard-objects.ts';

/** Store operations the behaviours use; they run as the system (no field-level checks). */
export interface BehaviourHost {
  insertAsSystem(objectName: string, fields: Record<string, unknown>, by: Principal): SfRecord;
  /** Changes fields of a stored record without validation or audit-field updates. */
  patch(objectName: string, id: string, changes: Record<string, unknown>): void;
  scan(objectName: string): Iterable<SfRecord>;
  get(objectName: string, id: string): SfRecord | undefined;
}

/** FileType values the platform derives from a file's extension. */
const FILE_TYPES: Record<string, string> = {
  pdf: 'PDF',
  png: 'PNG',
  jpg: 'JPG',
  jpeg: 'JPEG',
  gif: 'GIF',
  txt: 'TEXT',
  csv: 'CSV',
  json: 'JSON',
  xml: 'XML',
  zip: 'ZIP',
  doc: 'WORD',
  docx: 'WORD_X',
  xls: 'EXCEL',
  xlsx: 'EXCEL_X',
  mp4: 'MP4'
};

/** Values derived from other values of the same record, before required-field checks. */
export function deriveFields(
  object: SObjectDescribe,
  record: Record<string, unknown>,
  mode: 'insert' | 'update'
): void {
  if (COMPOUND_NAME_OBJECTS.has(object.name)) {
    const parts = [record.FirstName, record.LastName].filter(
      (part): part is string => typeof part === 'string' && part !== ''
    );
    if (parts.length > 0) record.Name = parts.join(' ');
    else delete record.Name;
  }
  if (object.kind === 'customMetadata') {
    if (record.Label === undefined && record.MasterLabel !== undefined)
      record.Label = record.MasterLabel;
    if (record.MasterLabel === undefined && record.Label !== undefined)
      record.MasterLabel = record.Label;
    if (typeof record.DeveloperName === 'string') record.QualifiedApiName = record.DeveloperName;
  }
  if (object.name === 'ContentVersion' && mode === 'insert') {
    const pathOnClient = typeof record.PathOnClient === 'string' ? record.PathOnClient : undefined;
    if (pathOnClient !== undefined) {
      const base = path.posix.basename(pathOnClient.replace(/\\/g, '/'));
      const extension = path.posix.extname(base).slice(1).toLowerCase();
      record.Title ??= extension ? base.slice(0, -(extension.length + 1)) : base;
      if (extension) record.FileExtension ??= extension;
      record.FileType = FILE_TYPES[extension] ?? 'UNKNOWN';
    }
    if (typeof record.VersionData === 'string') {
      const bytes = Buffer.from(record.VersionData, 'base64');
      record.ContentSize = bytes.length;
      record.Checksum = createHash('md5').update(bytes).digest('hex');
    }
    record.VersionNumber = '1';
    record.IsLatest = true;
  }
  if (object.name === 'Attachment' && typeof record.Body === 'string') {
    record.BodyLength = Buffer.from(record.Body, 'base64').length;
  }
}

/** Side effects of an insert, once the record is stored. */
export function afterInsert(
  host: BehaviourHost,
  object: SObjectDescribe,
  record: SfRecord,
  by: Principal
): void {
  if (object.name !== 'ContentVersion') return;
  const documentId = record.ContentDocumentId;
  if (typeof documentId === 'string') {
    // A new version of an existing document.
    let versions = 1;
    for (const version of host.scan('ContentVersion')) {
      if (version.ContentDocumentId !== documentId || version.Id === record.Id) continue;
      versions += 1;
      if (version.IsLatest === true) host.patch('ContentVersion', version.Id, { IsLatest: false });
    }
    host.patch('ContentVersion', record.Id, { VersionNumber: String(versions) });
    host.patch('ContentDocument', documentId, {
      LatestPublishedVersionId: record.Id,
      Title: record.Title ?? null,
      FileType: record.FileType ?? null,
      FileExtension: record.FileExtension ?? null,
      ContentSize: record.ContentSize ?? null
    });
    return;
  }
  const owner = typeof record.OwnerId === 'string' ? record.OwnerId : by.userId;
  const document = host.insertAsSystem(
    'ContentDocument',
    {
      Title: record.Title ?? 'Untitled',
      OwnerId: owner,
      LatestPublishedVersionId: record.Id,
      Description: record.Description ?? null,
      FileType: record.FileType ?? null,
      FileExtension: record.FileExtension ?? null,
      ContentSize: record.ContentSize ?? null
    },
    by
  );
  host.patch('ContentVersion', record.Id, { ContentDocumentId: document.Id });
  const link = (linkedEntityId: string, shareType: string): SfRecord =>
    host.insertAsSystem(
      'ContentDocumentLink',
      {
        ContentDocumentId: document.Id,
        LinkedEntityId: linkedEntityId,
        ShareType: shareType,
        Visibility: 'AllUsers'
      },
      by
    );
  link(owner, 'I');
  const location = record.FirstPublishLocationId;
  if (typeof location === 'string' && location !== owner) link(location, 'V');
}
