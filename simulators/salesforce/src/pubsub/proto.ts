import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { loadPackageDefinition } from '@grpc/grpc-js';
import type { ServiceDefinition } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';

/**
 * The `pubsub_api.proto` the official Node client (salesforce-pubsub-api-client) ships and loads:
 * serving the very same file keeps the emulator's wire format identical to what that client
 * expects. The client loads the hashed copy in `dist/` (`pubsub_api-<hash>.proto`); the package
 * root carries the same text.
 */
export function officialProtoPath(): string {
  const require = createRequire(import.meta.url);
  // The package only exports its entry point; its files sit next to it.
  const distDir = dirname(require.resolve('salesforce-pubsub-api-client'));
  const bundled = readdirSync(distDir).find((name) => /^pubsub_api.*\.proto$/.test(name));
  return bundled !== undefined ? join(distDir, bundled) : join(distDir, '..', 'pubsub_api.proto');
}

// --- Messages as @grpc/proto-loader decodes them with the client's options ({}): camelCase
// fields, bytes as Buffer, enums as numbers, unset proto3 scalars absent. ---

export interface FetchRequest {
  topicName?: string;
  replayPreset?: number | string;
  replayId?: Buffer;
  numRequested?: number;
  authRefresh?: string;
}

export interface ProducerEvent {
  id?: string;
  schemaId?: string;
  payload?: Buffer;
  headers?: Array<{ key?: string; value?: Buffer }>;
}

export interface ConsumerEvent {
  event: ProducerEvent;
  replayId: Buffer;
}

export interface FetchResponse {
  events: ConsumerEvent[];
  latestReplayId: Buffer;
  rpcId: string;
  pendingNumRequested: number;
}

export interface PublishRequest {
  topicName?: string;
  events?: ProducerEvent[];
  authRefresh?: string;
}

export interface PublishResult {
  replayId?: Buffer;
  error?: { code: number; msg: string };
  correlationKey: string;
}

export interface PublishResponse {
  results: PublishResult[];
  schemaId: string;
  rpcId: string;
}

export interface TopicRequest {
  topicName?: string;
}

export interface TopicInfo {
  topicName: string;
  tenantGuid: string;
  canPublish: boolean;
  canSubscribe: boolean;
  schemaId: string;
  rpcId: string;
}

export interface SchemaRequest {
  schemaId?: string;
}

export interface SchemaInfo {
  schemaJson: string;
  schemaId: string;
  rpcId: string;
}

/** The proto's `ReplayPreset` enum. */
export const REPLAY_PRESET = { LATEST: 0, EARLIEST: 1, CUSTOM: 2 } as const;

/** The proto's `ErrorCode` enum (PublishResult.error.code). */
export const PUBLISH_ERROR_CODE = { UNKNOWN: 0, PUBLISH: 1, COMMIT: 2 } as const;

/** The `eventbus.v1.PubSub` service definition, loaded from the official proto. */
export function loadPubSubService(): ServiceDefinition {
  const packageDefinition = loadSync(officialProtoPath(), {});
  const grpcObject = loadPackageDefinition(packageDefinition) as unknown as {
    eventbus: { v1: { PubSub: { service: ServiceDefinition } } };
  };
  return grpcObject.eventbus.v1.PubSub.service;
}

/** Replay ids travel as 8 bytes, big-endian. */
export function encodeReplayId(replayId: bigint): Buffer {
  const buffer = Buffer.alloc(8);
  buffer.writeBigUInt64BE(replayId);
  return buffer;
}

/** Undefined when the bytes are not an 8-byte replay id. */
export function decodeReplayId(bytes: Buffer | undefined): bigint | undefined {
  if (bytes === undefined || bytes.length !== 8) return undefined;
  return bytes.readBigUInt64BE();
}
