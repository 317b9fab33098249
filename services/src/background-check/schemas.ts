// Schemas of the service's boundaries: POST /background-checks (BackgroundCheckContract.json,
// the request Apex sends and the answers it reads) and BackCheck's callback body. Messages name
// the rule and never quote the value (applicant data).
import { z } from 'zod';
import { SALESFORCE_ID_PATTERN } from '../../../toolkit/src/salesforce-id.ts';

const salesforceId = (what: string) =>
  z
    .string({ error: `must be a 15 or 18 character Salesforce ${what} id` })
    .regex(SALESFORCE_ID_PATTERN, { error: `must be a 15 or 18 character Salesforce ${what} id` });

const name = (what: string) =>
  z
    .string({ error: `${what} is required` })
    .trim()
    .min(1, { error: `${what} is required` })
    .max(80, { error: `${what} must be at most 80 characters` });

export const submitBody = z
  .object({
    applicationId: salesforceId('Passport_Application__c'),
    contentVersionId: salesforceId('ContentVersion'),
    applicant: z
      .object({
        firstName: name('firstName'),
        lastName: name('lastName'),
        birthdate: z.iso.date({ error: 'must be a date YYYY-MM-DD' }),
        passportNumber: z
          .string({ error: 'must be 5-20 capital letters or digits' })
          .regex(/^[A-Z0-9]{5,20}$/, { error: 'must be 5-20 capital letters or digits' }),
        nationality: z
          .string({ error: 'must be an ISO 3166-1 alpha-2 code' })
          .regex(/^[A-Z]{2}$/, { error: 'must be an ISO 3166-1 alpha-2 code' })
      })
      .strict(),
    requestedAt: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time' })
  })
  .strict();

export type SubmitRequest = z.infer<typeof submitBody>;

const KEY_MESSAGE = 'required: bgc- followed by the application id';
export const submitHeaders = z.object({
  'idempotency-key': z
    .string({ error: KEY_MESSAGE })
    .regex(/^bgc-[A-Za-z0-9]{15,18}$/, { error: KEY_MESSAGE })
});

export const submitAnswer = z.object({
  applicationId: z.string(),
  state: z.enum(['submitted', 'accepted']),
  reference: z.string().nullable()
});
export type SubmitAnswer = z.infer<typeof submitAnswer>;

export const conflictAnswer = z.object({ error: z.literal('conflict'), message: z.string() });

/** The body BackCheck posts when a check completes (its signature is checked before). */
export const callbackBody = z.object({
  reference: z.string().min(1).max(64),
  clientReference: z.string().max(64).nullish(),
  result: z.enum(['clear', 'not_clear', 'inconclusive']),
  notes: z.string().max(32_000).nullable(),
  completedAt: z.iso.datetime({ offset: true }),
  eventId: z.string().min(1).max(128)
});
export type CallbackBody = z.infer<typeof callbackBody>;
