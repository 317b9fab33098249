// The device registry (bearer tokens of ACTIVITY_REGISTRY_TOKENS only: the provisioning back
// office. It hands out device logins, so no credential stored in Salesforce may call it): users with their time zone and step goal, devices
// with their owner. A reading names its device only; the owner comes from here, so a device can
// never write into another user's activity. Registering a device answers its topic and, when
// the embedded broker's derived keys are in use (ACTIVITY_DEVICE_KEY), its broker login.
// Moving a device to another user bumps its key generation (the previous owner's password stops
// working: the embedded broker checks the registry at CONNECT and at publish); deleting it ends
// its logins, and registering the id again continues after its last generation. Device ids
// starting with `activity-ingest` are the ingest workers' broker names and are refused.
import type { FastifyInstance } from 'fastify';
import { deriveDeviceKey } from '../../../toolkit/src/device-key.ts';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type pg from 'pg';
import { z } from 'zod';
import { DEVICE_ID_PATTERN, deviceTopic } from '../../../toolkit/src/device-topic.ts';
import { HttpError, jsonResponse } from '../platform/index.ts';
import { activityTokenCheck } from './api-tokens.ts';
import { isReservedDeviceId } from './broker.ts';
import { isTimeZone } from './time-zone.ts';

export const USER_ID_PATTERN = /^[A-Za-z0-9_-]{3,64}$/;

const userParams = z.object({
  userId: z
    .string()
    .regex(USER_ID_PATTERN, { error: 'must be 3-64 characters of A-Z, a-z, 0-9, _ and -' })
});
const deviceParams = z.object({
  deviceId: z
    .string()
    .regex(DEVICE_ID_PATTERN, { error: 'must be 8-64 characters of A-Z, a-z, 0-9, _ and -' })
    .refine((id) => !isReservedDeviceId(id), {
      error: 'must not start with activity-ingest (the ingest workers’ broker names)'
    })
});
const userBody = z
  .object({
    timeZone: z
      .string({ error: 'must be an IANA time zone such as Europe/Berlin' })
      .refine(isTimeZone, { error: 'must be an IANA time zone such as Europe/Berlin' }),
    dailyStepGoal: z
      .number({ error: 'must be an integer from 1 to 1000000' })
      .int({ error: 'must be an integer from 1 to 1000000' })
      .min(1, { error: 'must be an integer from 1 to 1000000' })
      .max(1_000_000, { error: 'must be an integer from 1 to 1000000' })
      .optional()
  })
  .strict();
const userAnswer = z.object({
  userId: z.string(),
  timeZone: z.string(),
  dailyStepGoal: z.number()
});
const deviceBody = z.object({ userId: userParams.shape.userId }).strict();
const deviceAnswer = z.object({
  deviceId: z.string(),
  userId: z.string(),
  topic: z.string().meta({ description: 'Where the device publishes its readings (QoS 1).' }),
  mqttUsername: z.string().meta({ description: 'Also its MQTT client id.' }),
  keyGeneration: z.number().meta({
    description:
      "The device's key generation: 0 when first registered, one more each time it moves to another user (the earlier passwords stop working)."
  }),
  mqttPassword: z.string().optional().meta({
    description:
      "The device's derived broker password (of its current key generation); only when the broker uses derived keys (ACTIVITY_DEVICE_KEY). Production brokers with their own password file leave it out (rotate the device's entry there when it moves)."
  })
});

const FORBIDDEN = '`forbidden`: the bearer token is not one of ACTIVITY_REGISTRY_TOKENS.';

export interface DeviceRoutesOptions extends Record<string, unknown> {
  pool: pg.Pool;
  deviceKey: string | undefined;
  /** ACTIVITY_REGISTRY_TOKENS (empty: every registration is refused). */
  tokens: readonly string[];
  /** After a device moved or was deleted (the embedded broker's lookup forgets its cache entry). */
  onDeviceChanged?: (deviceId: string) => void;
}

export async function deviceRoutes(
  app: FastifyInstance,
  options: DeviceRoutesOptions
): Promise<void> {
  const { pool } = options;
  const mayRegister = activityTokenCheck(options.tokens);
  const routes = app.withTypeProvider<ZodTypeProvider>();

  routes.addHook('onRequest', async (request) => {
    if (!mayRegister(request)) {
      request.log.warn(
        { principal: request.principal?.tokenId },
        'device registry refused: token not in ACTIVITY_REGISTRY_TOKENS'
      );
      throw new HttpError(403, 'forbidden', 'This token may not register users or devices.');
    }
  });

  routes.put(
    '/activity/users/:userId',
    {
      config: { errorResponses: { 403: FORBIDDEN } },
      schema: {
        operationId: 'putActivityUser',
        summary: 'Create or update a fitness user (time zone of their day, daily step goal)',
        tags: ['activity'],
        params: userParams,
        body: userBody,
        response: { 200: jsonResponse(userAnswer, 'The user as stored.') }
      }
    },
    async (request) => {
      const { userId } = request.params;
      const { timeZone, dailyStepGoal } = request.body;
      const { rows } = await pool
        .query<{ time_zone: string; daily_step_goal: number }>(
          `INSERT INTO activity_users (user_id, time_zone, daily_step_goal)
           VALUES ($1, $2, coalesce($3, 10000))
           ON CONFLICT (user_id) DO UPDATE SET time_zone = excluded.time_zone,
             daily_step_goal = coalesce($3, activity_users.daily_step_goal)
           RETURNING time_zone, daily_step_goal`,
          [userId, timeZone, dailyStepGoal ?? null]
        )
        .catch((error: unknown) => {
          // Intl and PostgreSQL ship different tz data (Node's ICU knows US/Pacific-New,
          // PostgreSQL 15 does not): the database's check (migration 0009) has the last word.
          if ((error as { constraint?: string }).constraint === 'activity_users_time_zone_check')
            throw new HttpError(
              400,
              'validation_failed',
              'timeZone must be an IANA time zone such as Europe/Berlin that the database knows.'
            );
          throw error;
        });
      const row = rows[0]!;
      return { userId, timeZone: row.time_zone, dailyStepGoal: row.daily_step_goal };
    }
  );

  routes.put(
    '/activity/devices/:deviceId',
    {
      config: {
        errorResponses: {
          403: FORBIDDEN,
          404: '`user_not_found`: no such user (PUT the user first).'
        }
      },
      schema: {
        operationId: 'putActivityDevice',
        summary: 'Register a device to a user (or move it to another one)',
        tags: ['activity'],
        params: deviceParams,
        body: deviceBody,
        response: { 200: jsonResponse(deviceAnswer, 'The device, its topic and its broker login.') }
      }
    },
    async (request) => {
      const { deviceId } = request.params;
      const { userId } = request.body;
      // A new owner: a new key generation. The same owner again: unchanged (idempotent).
      const { rows } = await pool.query<{ key_generation: number }>(
        // owner_since: a device that had an owner before (a move, or registered again after a
        // delete) starts a new ownership now; readings taken before it are not the new owner's.
        `INSERT INTO activity_devices (device_id, user_id, key_generation, owner_since)
         SELECT $1, user_id, coalesce(
             (SELECT key_generation + 1 FROM activity_device_retired_keys WHERE device_id = $1), 0),
           CASE WHEN EXISTS (SELECT 1 FROM activity_device_retired_keys WHERE device_id = $1)
                THEN now() ELSE '-infinity' END
           FROM activity_users WHERE user_id = $2
         ON CONFLICT (device_id) DO UPDATE SET user_id = excluded.user_id,
           key_generation = activity_devices.key_generation
             + CASE WHEN activity_devices.user_id = excluded.user_id THEN 0 ELSE 1 END,
           owner_since = CASE WHEN activity_devices.user_id = excluded.user_id
                              THEN activity_devices.owner_since ELSE now() END
         RETURNING key_generation`,
        [deviceId, userId]
      );
      const generation = rows[0]?.key_generation;
      if (generation === undefined)
        throw new HttpError(404, 'user_not_found', 'No such user; PUT the user first.');
      options.onDeviceChanged?.(deviceId);
      return {
        deviceId,
        userId,
        topic: deviceTopic(deviceId),
        mqttUsername: deviceId,
        keyGeneration: generation,
        ...(options.deviceKey
          ? { mqttPassword: deriveDeviceKey(options.deviceKey, deviceId, generation) }
          : {})
      };
    }
  );

  routes.delete(
    '/activity/devices/:deviceId',
    {
      config: { errorResponses: { 403: FORBIDDEN, 404: '`device_not_found`: no such device.' } },
      schema: {
        operationId: 'deleteActivityDevice',
        summary: 'Unregister a device: its readings are dropped from now on (stored ones stay)',
        tags: ['activity'],
        params: deviceParams,
        response: { 204: jsonResponse(z.null(), 'Unregistered (no body).') }
      }
    },
    async (request, reply) => {
      // Its last generation is kept: registering the id again must not revive the old key.
      const { rowCount } = await pool.query(
        `WITH gone AS (DELETE FROM activity_devices WHERE device_id = $1
                       RETURNING device_id, key_generation)
         INSERT INTO activity_device_retired_keys (device_id, key_generation)
         SELECT device_id, key_generation FROM gone
         ON CONFLICT (device_id) DO UPDATE SET key_generation = greatest(
           activity_device_retired_keys.key_generation, excluded.key_generation)`,
        [request.params.deviceId]
      );
      if (!rowCount) throw new HttpError(404, 'device_not_found', 'No such device.');
      options.onDeviceChanged?.(request.params.deviceId);
      return reply.code(204).send();
    }
  );
}
