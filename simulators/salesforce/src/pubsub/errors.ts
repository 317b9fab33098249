import { randomUUID } from 'node:crypto';
import { Metadata, status } from '@grpc/grpc-js';
import type { ServiceError } from '@grpc/grpc-js';

/**
 * Errors as the Pub/Sub API returns them: a gRPC status whose description ends with
 * ` rpcId: <uuid>`, and trailers carrying the Salesforce error code (`error-code`) and the same
 * `rpc-id`. Codes and texts follow the Pub/Sub API "Handle Errors" table and errors observed from
 * the real service (quoted in each builder).
 */
export interface PubSubError extends ServiceError {
  errorCode: string;
}

export const ERROR_CODES = {
  authError: 'sfdc.platform.eventbus.grpc.service.auth.error',
  topicNotFound: 'sfdc.platform.eventbus.grpc.topic.not.found',
  topicEmpty: 'sfdc.platform.eventbus.grpc.topic.validation.empty',
  schemaEmpty: 'sfdc.platform.eventbus.grpc.schema.validation.failed',
  schemaNotFound: 'sfdc.platform.eventbus.grpc.schema.meta.permission',
  replayIdCorrupted: 'sfdc.platform.eventbus.grpc.subscription.fetch.replayid.corrupted',
  replayIdMissing: 'sfdc.platform.eventbus.grpc.subscription.fetch.replayid.validation.failed',
  requestedEventsInvalid: 'sfdc.platform.eventbus.grpc.subscription.fetch.requested.events.invalid',
  fetchTopicMismatch: 'sfdc.platform.eventbus.grpc.subscription.fetch.topic.mismatch',
  publishEventCountInvalid: 'sfdc.platform.eventbus.grpc.publish.event.count.invalid',
  publishTopicEmpty: 'sfdc.platform.eventbus.grpc.publish.topic.validation.empty',
  publishTopicMismatch: 'sfdc.platform.eventbus.grpc.publish.topic.mismatch',
  serviceUnavailable: 'sfdc.platform.eventbus.grpc.service.unavailable',
  subscribePermission: 'sfdc.platform.eventbus.grpc.subscription.permission.denied',
  publishPermission: 'sfdc.platform.eventbus.grpc.publish.permission.denied'
} as const;

export function pubSubError(code: status, errorCode: string, message: string): PubSubError {
  const rpcId = randomUUID();
  const metadata = new Metadata();
  metadata.set('error-code', errorCode);
  metadata.set('rpc-id', rpcId);
  const details = `${message} rpcId: ${rpcId}`;
  const error = new Error(`${code} ${status[code]}: ${details}`) as PubSubError;
  error.code = code;
  error.details = details;
  error.metadata = metadata;
  error.errorCode = errorCode;
  return error;
}

/** "UNAUTHENTICATED: An authentication exception occurred. Provide valid authentication via metadata headers. rpcId: ..." */
export function authError(): PubSubError {
  return pubSubError(
    status.UNAUTHENTICATED,
    ERROR_CODES.authError,
    'An authentication exception occurred. Provide valid authentication via metadata headers.'
  );
}

/** "NOT_FOUND: The topic information for org CORE/prod/00D... and topic /data/AccountChangeEvent not found. Ensure the topic name is correct and that the topic exists." */
export function topicNotFound(organizationId: string, topicName: string): PubSubError {
  return pubSubError(
    status.NOT_FOUND,
    ERROR_CODES.topicNotFound,
    `The topic information for org CORE/prod/${organizationId} and topic ${topicName} not found. ` +
      'Ensure the topic name is correct and that the topic exists.'
  );
}

export function topicEmpty(): PubSubError {
  return pubSubError(
    status.INVALID_ARGUMENT,
    ERROR_CODES.topicEmpty,
    'The topic name is blank. Provide a topic name.'
  );
}

export function schemaIdEmpty(): PubSubError {
  return pubSubError(
    status.INVALID_ARGUMENT,
    ERROR_CODES.schemaEmpty,
    'The schema ID is blank or missing. Provide a valid schema ID.'
  );
}

export function schemaNotFound(organizationId: string, schemaId: string): PubSubError {
  return pubSubError(
    status.NOT_FOUND,
    ERROR_CODES.schemaNotFound,
    `An error occurred while getting the schema for org CORE/prod/${organizationId} and schema ID ` +
      `${schemaId}. Ensure the credentials and schema ID are correct.`
  );
}

/**
 * A CUSTOM replay id that is not a valid position of the stream, most often one that aged out of
 * the 72-hour retention window. Error code from the Handle Errors table ("The Replay ID validation
 * failed. Ensure that the replay_id field value in FetchRequest is valid and refers to an event
 * that is within the retention window."); clients match the "Replay ID validation failed" text.
 */
export function replayIdCorrupted(): PubSubError {
  return pubSubError(
    status.INVALID_ARGUMENT,
    ERROR_CODES.replayIdCorrupted,
    'The Replay ID validation failed. Ensure that the replay_id field value in FetchRequest is ' +
      'valid and refers to an event that is within the retention window.'
  );
}

/** replay_preset CUSTOM without a replay_id. */
export function replayIdMissing(): PubSubError {
  return pubSubError(
    status.INVALID_ARGUMENT,
    ERROR_CODES.replayIdMissing,
    'The Replay ID validation failed. The replay_preset is CUSTOM but no replay_id was provided.'
  );
}

export function requestedEventsInvalid(numRequested: number): PubSubError {
  return pubSubError(
    status.INVALID_ARGUMENT,
    ERROR_CODES.requestedEventsInvalid,
    `The number of requested events in FetchRequest must be greater than 0 (was ${numRequested}).`
  );
}

export function fetchTopicMismatch(expected: string, actual: string): PubSubError {
  return pubSubError(
    status.INVALID_ARGUMENT,
    ERROR_CODES.fetchTopicMismatch,
    `The topic name ${actual} in FetchRequest doesn't match the topic ${expected} of the subscription.`
  );
}

export function publishEventCountInvalid(): PubSubError {
  return pubSubError(
    status.INVALID_ARGUMENT,
    ERROR_CODES.publishEventCountInvalid,
    'The PublishRequest contains no events. Include at least one event.'
  );
}

export function publishTopicEmpty(): PubSubError {
  return pubSubError(
    status.INVALID_ARGUMENT,
    ERROR_CODES.publishTopicEmpty,
    'The topic name in PublishRequest is blank. Provide a topic name.'
  );
}

export function publishTopicMismatch(expected: string, actual: string): PubSubError {
  return pubSubError(
    status.INVALID_ARGUMENT,
    ERROR_CODES.publishTopicMismatch,
    `The topic name ${actual} in PublishRequest doesn't match the topic ${expected} of the stream.`
  );
}

/**
 * Subscribe or publish on a topic whose event object the user has no Read (subscribe) or Create
 * (publish) permission on. The Handle Errors table does not list these two; the status
 * (PERMISSION_DENIED), codes and texts are our best wording, in the table's style.
 */
export function topicPermissionDenied(
  action: 'subscribe' | 'publish',
  topicName: string,
  objectName: string
): PubSubError {
  const needed = action === 'subscribe' ? 'Read' : 'Create';
  return pubSubError(
    status.PERMISSION_DENIED,
    action === 'subscribe' ? ERROR_CODES.subscribePermission : ERROR_CODES.publishPermission,
    `The user doesn't have permission to ${action} to the topic ${topicName}. ` +
      `Ensure the user has the ${needed} permission on ${objectName}.`
  );
}
