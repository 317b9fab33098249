// The submit job (queue background-check-submit): stream the photo from Salesforce into
// BackCheck's multipart upload and store the reference. Runs in the job queue rather than in the
// request: a 10 MB photo through two networks takes seconds, BackCheck may be slow or down, and
// Apex waits only 10 s for the acknowledgement. A transient failure is retried by pg-boss with
// exponential backoff; a permanent one (photo, data, BackCheck's 4xx) or the last retry marks the
// check failed, and the outbox writes Error to the application.
import type { JobQueue, Logger, QueueJob, SalesforceConnection } from '../platform/index.ts';
import { BackCheckRejectedError, type BackCheckClient } from './backcheck-client.ts';
import type { BackgroundCheckJobs, Checks } from './checks.ts';
import { NOT_STARTED_REASON, SUBMIT_QUEUE } from './checks.ts';
import { openPhoto, PhotoRejectedError } from './photo.ts';

export interface SubmitterOptions {
  checks: Checks;
  backCheck: BackCheckClient;
  salesforce: SalesforceConnection;
  logger: Logger;
  /** Called when a row changed state (the outbox is kicked on failures). */
  onFailed?: () => void;
  maxPhotoBytes?: number;
  /**
   * The kill switch: while it is not open the job is put back (due in `holdSeconds`, with the
   * retries it has left) instead of calling BackCheck; throwing instead would spend a retry per
   * hold and fail the check after a long off period.
   */
  hold?: {
    isOpen: () => boolean;
    queue: Pick<JobQueue<BackgroundCheckJobs>, 'send'>;
    holdSeconds: number;
  };
}

/** BackCheck's Idempotency-Key of one attempt: a retried job replays, a new attempt does not. */
export function backCheckKey(applicationId: string, attempt: number): string {
  return `bgc-${applicationId}-${attempt}`;
}

export function createSubmitter(options: SubmitterOptions) {
  const { checks, backCheck, salesforce, logger } = options;
  return async function submit(
    job: QueueJob<BackgroundCheckJobs[typeof SUBMIT_QUEUE]>
  ): Promise<void> {
    const { applicationId, attempt } = job.data;
    const log = logger.child({ applicationId, attempt });
    const row = await checks.get(applicationId);
    if (!row || row.attempts !== attempt || row.state !== 'submitted' || !row.applicant) {
      log.info(
        { state: row?.state },
        'submit job for a check no longer waiting to be sent; skipped'
      );
      return;
    }
    const { hold } = options;
    if (hold && !hold.isOpen()) {
      await hold.queue.send(SUBMIT_QUEUE, job.data, {
        startAfter: hold.holdSeconds,
        retryLimit: Math.max(0, job.retryLimit - job.retryCount)
      });
      log.info('background check held by the kill switch; not sent to BackCheck');
      return;
    }
    const started = performance.now();
    try {
      const photo = await openPhoto(salesforce, row.content_version_id, options.maxPhotoBytes);
      let sent;
      try {
        sent = await backCheck.submit(
          backCheckKey(applicationId, attempt),
          { clientReference: applicationId, subject: row.applicant },
          photo
        );
      } finally {
        photo.release();
      }
      await checks.markAccepted(applicationId, attempt, sent.reference);
      log.info(
        {
          reference: sent.reference,
          photoType: photo.type,
          replayed: sent.replayed,
          ms: Math.round(performance.now() - started)
        },
        'background check accepted by BackCheck'
      );
    } catch (error) {
      const permanent =
        error instanceof PhotoRejectedError || error instanceof BackCheckRejectedError;
      const last = job.retryCount >= job.retryLimit;
      if (!permanent && !last) {
        log.warn(
          {
            failure: (error as Error).name,
            message: (error as Error).message,
            retry: job.retryCount + 1
          },
          'background check not sent yet; retrying'
        );
        throw error;
      }
      const reason = failureReason(error, last && !permanent);
      await checks.markFailed(applicationId, attempt, reason);
      log.error(
        { failure: (error as Error).name, message: (error as Error).message },
        'background check could not be started; Error goes to Salesforce'
      );
      options.onFailed?.();
    }
  };
}

/**
 * The submit queue's dead letter: a job whose retries are exhausted without the handler marking
 * the row (its final attempt was SIGKILLed or timed out, or markFailed itself threw). The row
 * would stay `submitted` and every resubmit would be 409: it is failed, Error goes to Salesforce.
 * A row BackCheck accepted meanwhile is not touched (markFailed needs `submitted`).
 */
export function createSubmitDeadLetterHandler(
  options: Pick<SubmitterOptions, 'checks' | 'logger' | 'onFailed'>
) {
  return async function deadLetter(
    job: QueueJob<BackgroundCheckJobs[typeof SUBMIT_QUEUE]>
  ): Promise<void> {
    const { applicationId, attempt } = job.data;
    if (await options.checks.markFailed(applicationId, attempt, NOT_STARTED_REASON)) {
      options.logger.error(
        { applicationId, attempt },
        'background check submit dead-lettered; marked failed, Error goes to Salesforce'
      );
      options.onFailed?.();
    }
  };
}

/** The reason written to Background_Check_Notes__c: fixed texts, never a remote body. */
export function failureReason(error: unknown, exhausted: boolean): string {
  if (error instanceof PhotoRejectedError) {
    switch (error.problem) {
      case 'photo_missing':
        return 'The applicant photo could not be read from Salesforce. Attach a JPG or PNG photo and submit again.';
      case 'photo_type':
        return 'The applicant photo is neither a JPEG nor a PNG image. Attach a JPG or PNG photo and submit again.';
      case 'photo_too_large':
        return "The applicant photo is larger than 10 MB, BackCheck's limit. Attach a smaller photo and submit again.";
    }
  }
  if (error instanceof BackCheckRejectedError) {
    if (error.status === 413)
      return "The applicant photo is larger than BackCheck's limit. Attach a smaller photo and submit again.";
    if (error.status === 415)
      return 'BackCheck refused the photo type. Attach a JPG or PNG photo and submit again.';
    return `BackCheck refused the request (${error.status} ${error.code}). Check the applicant data and submit again.`;
  }
  if (exhausted)
    return 'BackCheck could not be reached after repeated attempts. Submit again later; if it persists, contact support.';
  return 'The background check could not be started. Contact support.';
}
