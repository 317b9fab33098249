// What a handler receives for one event.
//
// The client decodes replay ids to JavaScript numbers (exact up to 2^53, far above the ids orgs
// hand out); handlers get them as bigint, the type the replay store keeps them in.

export interface PubSubEvent {
  topic: string;
  replayId: bigint;
  /** The event's EventUuid (ProducerEvent id). */
  eventUuid: string;
  schemaId: string;
  /** Field values as the client decodes the Avro record (DateTime fields are epoch ms). */
  payload: Record<string, unknown>;
}

/** The `data` of the client's 'event' callback. */
export interface ClientEvent {
  id?: string;
  schemaId?: string;
  replayId: number | bigint;
  payload?: Record<string, unknown>;
}

export function toPubSubEvent(topic: string, raw: ClientEvent): PubSubEvent {
  return {
    topic,
    replayId: BigInt(raw.replayId),
    eventUuid: raw.id ?? '',
    schemaId: raw.schemaId ?? '',
    payload: raw.payload ?? {}
  };
}
