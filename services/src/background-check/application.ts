// What a submit may ask for, read from Salesforce as the integration user before anything is
// stored or sent. The bearer token only says the caller may submit checks, not that this request
// is the one Salesforce started: without this read, a token holder could post a Draft
// application with another application's photo and invented data, have BackCheck check them and
// the result written onto the Draft (review finding 2, confused deputy).
//
// Required: the application is Background Check Pending, its Background_Check_Requested_At__c is
// the request's requestedAt (to the second: Salesforce keeps seconds), and the ContentVersion is
// the latest version (IsLatest) of a File linked to the application. The applicant data sent to
// BackCheck is Salesforce's (built as BackgroundCheckRequestBuilder builds it); the body's copy is
// ignored after its schema check (Apex may have read it before a case worker's edit; the
// authoritative data is the record's now).
import { soqlString, type RestClient } from '../platform/index.ts';
import { submitBody, type SubmitRequest } from './schemas.ts';

export const PENDING = 'Background Check Pending';

export type Applicant = SubmitRequest['applicant'];

/** The request as Salesforce confirms it: what is stored, hashed and sent to BackCheck. */
export interface VerifiedRequest {
  applicationId: string;
  contentVersionId: string;
  /** Salesforce's Background_Check_Requested_At__c (ISO 8601). */
  requestedAt: string;
  applicant: Applicant;
}

/** Why a request is refused: fixed codes and texts, never a value of the record. */
export type Refusal =
  | { status: 409; code: 'not_pending'; message: string }
  | { status: 422; code: 'photo_not_linked' | 'applicant_incomplete'; message: string };

const NOT_PENDING: Refusal = {
  status: 409,
  code: 'not_pending',
  message:
    'The application is not waiting for this background check (not Background Check Pending, or requested at another time).'
};
const PHOTO_NOT_LINKED: Refusal = {
  status: 422,
  code: 'photo_not_linked',
  message: 'The contentVersionId is not the latest version of a File linked to the application.'
};
const APPLICANT_INCOMPLETE: Refusal = {
  status: 422,
  code: 'applicant_incomplete',
  message: "The application's applicant data is incomplete or invalid in Salesforce."
};

interface ApplicationRecord {
  Id: string;
  Status__c: string | null;
  Background_Check_Requested_At__c: string | null;
  Passport_Number__c: string | null;
  Nationality__c: string | null;
  Date_Of_Birth__c: string | null;
  Applicant__r: {
    FirstName: string | null;
    LastName: string | null;
    Birthdate: string | null;
  } | null;
}

const seconds = (iso: string | null | undefined): number =>
  iso ? Math.floor(Date.parse(iso) / 1000) : Number.NaN;

async function first<T>(rows: AsyncGenerator<T>): Promise<T | undefined> {
  for await (const row of rows) return row;
  return undefined;
}

export async function verifyRequest(
  rest: RestClient,
  request: SubmitRequest
): Promise<{ ok: true; request: VerifiedRequest } | { ok: false; refusal: Refusal }> {
  const applicationId = soqlString(request.applicationId);
  const application = await first(
    rest.query<ApplicationRecord>(
      `SELECT Id, Status__c, Background_Check_Requested_At__c, Passport_Number__c,
              Nationality__c, Date_Of_Birth__c,
              Applicant__r.FirstName, Applicant__r.LastName, Applicant__r.Birthdate
         FROM Passport_Application__c WHERE Id = ${applicationId}`
    )
  );
  if (
    !application ||
    application.Status__c !== PENDING ||
    seconds(application.Background_Check_Requested_At__c) !== seconds(request.requestedAt) ||
    Number.isNaN(seconds(request.requestedAt))
  ) {
    return { ok: false, refusal: NOT_PENDING };
  }
  const photo = await first(
    rest.query<{ Id: string }>(
      `SELECT Id FROM ContentVersion
        WHERE Id = ${soqlString(request.contentVersionId)} AND IsLatest = true
          AND ContentDocumentId IN
              (SELECT ContentDocumentId FROM ContentDocumentLink WHERE LinkedEntityId = ${applicationId})`
    )
  );
  if (!photo) return { ok: false, refusal: PHOTO_NOT_LINKED };
  const contact = application.Applicant__r;
  const applicant = submitBody.shape.applicant.safeParse({
    firstName: contact?.FirstName ?? undefined,
    lastName: contact?.LastName ?? undefined,
    birthdate: application.Date_Of_Birth__c ?? contact?.Birthdate ?? undefined,
    passportNumber: application.Passport_Number__c?.trim(),
    nationality: application.Nationality__c?.trim().toUpperCase()
  });
  if (!applicant.success) return { ok: false, refusal: APPLICANT_INCOMPLETE };
  return {
    ok: true,
    request: {
      // The ids as the caller sent them (15 or 18 characters: the row's key stays the same).
      applicationId: request.applicationId,
      contentVersionId: request.contentVersionId,
      requestedAt: new Date(
        seconds(application.Background_Check_Requested_At__c) * 1000
      ).toISOString(),
      applicant: applicant.data
    }
  };
}
