/**
 * The agency's memory: checks by reference and the idempotency keys that created them. Only
 * what the answers need is kept: the client's reference, the subject's passport number (it
 * decides the result; never logged), the photo's metadata (type, size, SHA-256), never the image.
 *
 * A check is decided in one synchronous step (`submit`): the key lookup and the insert happen
 * without an `await` between them, so concurrent requests with one Idempotency-Key make one check.
 */
import { createHash } from 'node:crypto';
import { BackCheckError } from './errors.ts';
import { newReference } from './ids.ts';
import type { PhotoMetadata } from './photo.ts';
import type { CheckResult } from './results.ts';

export interface Subject {
  firstName: string;
  lastName: string;
  birthdate: string;
  passportNumber: string;
  nationality: string;
}

export interface CheckRequest {
  clientReference: string;
  subject: Subject;
}

export interface Check {
  reference: string;
  /** The API key that submitted it: only that key sees it, its callbacks go to its URL. */
  apiKey: string;
  clientReference: string;
  passportNumber: string;
  photo: PhotoMetadata;
  submittedAt: number;
  dueAt: number;
  status: 'pending' | 'completed';
  result: CheckResult | null;
  notes: string | null;
  completedAt: number | null;
}

/** The body of `GET /v1/checks/{reference}` (and, in part, of the 202). */
export interface CheckView {
  reference: string;
  clientReference: string;
  status: 'pending' | 'completed';
  result: CheckResult | null;
  notes: string | null;
  completedAt: string | null;
}

export function viewOf(check: Check): CheckView {
  return {
    reference: check.reference,
    clientReference: check.clientReference,
    status: check.status,
    result: check.result,
    notes: check.notes,
    completedAt: check.completedAt === null ? null : new Date(check.completedAt).toISOString()
  };
}

/** A request's identity for idempotency: the JSON part (canonical) and the photo's digest. */
export function fingerprintOf(request: CheckRequest, photo: PhotoMetadata): string {
  const { clientReference, subject } = request;
  const canonical = JSON.stringify([
    clientReference,
    subject.firstName,
    subject.lastName,
    subject.birthdate,
    subject.passportNumber,
    subject.nationality,
    photo.contentType,
    photo.bytes,
    photo.sha256
  ]);
  return createHash('sha256').update(canonical).digest('hex');
}

export class CheckStore {
  private checks = new Map<string, Check>();
  /** `<apiKey>\n<Idempotency-Key>` -> the fingerprint and the check it made. */
  private keys = new Map<string, { fingerprint: string; reference: string }>();

  /**
   * The check for this key: a new one (`replay` false) or, for a key seen with the same request,
   * the one it made (`replay` true). The same key with another request is 409 `conflict`.
   */
  submit(
    apiKey: string,
    idempotencyKey: string,
    fingerprint: string,
    create: (reference: string) => Check
  ): { check: Check; replay: boolean } {
    const slot = `${apiKey}\n${idempotencyKey}`;
    const known = this.keys.get(slot);
    if (known) {
      if (known.fingerprint !== fingerprint) {
        throw new BackCheckError(
          409,
          'conflict',
          'This Idempotency-Key was used with another request'
        );
      }
      return { check: this.checks.get(known.reference)!, replay: true };
    }
    const check = create(newReference());
    this.checks.set(check.reference, check);
    this.keys.set(slot, { fingerprint, reference: check.reference });
    return { check, replay: false };
  }

  get(reference: string): Check | undefined {
    return this.checks.get(reference);
  }

  list(): Check[] {
    return [...this.checks.values()];
  }

  reset(): void {
    this.checks.clear();
    this.keys.clear();
  }
}
