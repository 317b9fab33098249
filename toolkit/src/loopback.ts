/**
 * The guard of a simulator's control plane (the org emulator's `/__emulator/*`, the SAP and
 * SecurePay simulators' `/__sim/*`): those routes reset data, mint tokens and inject failures,
 * so they answer
 *
 * 1. only clients on the same machine: the TCP peer address (never a forwarded header) is in
 *    127.0.0.0/8 or is ::1, IPv4-mapped forms included; anything else is 403, secret or not
 *    (a simulator bound to 0.0.0.0 for a demo still keeps its control plane local); and
 * 2. when the simulator was started with a driver secret, only requests carrying
 *    `Authorization: Bearer <secret>` (compared in constant time); anything else is 401.
 *
 * Each simulator renders the refusal in its own error style (`refuse`).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { BlockList, isIP } from 'node:net';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { UsageError } from './cli/args.ts';

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/** Whether `address` (as `socket.remoteAddress` gives it) is a loopback address. */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (!address) return false;
  const family = isIP(address);
  if (family === 0) return false;
  try {
    // BlockList matches IPv4-mapped IPv6 (`::ffff:127.0.0.1`) against the IPv4 subnet.
    return LOOPBACK.check(address, family === 4 ? 'ipv4' : 'ipv6');
  } catch {
    return false;
  }
}

const SECRET_PATTERN = /^[\x21-\x7e]{1,1024}$/;

/**
 * The driver secret option checked: undefined (no secret) or 1-1024 visible ASCII characters
 * without spaces, as it travels in `Authorization: Bearer <secret>`. Throws a RangeError
 * otherwise (an empty string is refused, not taken as "no secret").
 */
export function validateDriverSecret(secret: string | undefined): string | undefined {
  if (secret === undefined) return undefined;
  if (!SECRET_PATTERN.test(secret)) {
    throw new RangeError(
      'driverSecret must be 1-1024 visible ASCII characters without spaces ' +
        '(it is sent as Authorization: Bearer <secret>)'
    );
  }
  return secret;
}

/** A fresh random driver secret (48 hex characters), for the standalone CLIs. */
export function newDriverSecret(): string {
  return randomBytes(24).toString('hex');
}

/** A standalone CLI's secret: the `--driver-secret` value (checked) or a random one. */
export function driverSecretFromFlag(flag: string | undefined): string {
  if (flag === undefined) return newDriverSecret();
  try {
    return validateDriverSecret(flag) ?? flag;
  } catch (error) {
    throw new UsageError(`Option --driver-secret: ${(error as Error).message}.`);
  }
}

/** Constant-time comparison of two strings of any length (their SHA-256 digests). */
export function secretMatches(given: string, expected: string): boolean {
  const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/** The token of `Authorization: Bearer <token>`, or undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  return /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header ?? '')?.[1];
}

export interface ControlRefusal {
  status: 401 | 403;
  message: string;
  /** `WWW-Authenticate` on a 401. */
  headers: Record<string, string>;
}

const SEND_SECRET =
  'send Authorization: Bearer <driver secret>, the secret the simulator was started with ' +
  '(driverSecret option or --driver-secret; the standalone CLI prints it)';

/**
 * Why a control request is refused, or undefined when it may go ahead. `secret` undefined:
 * the loopback check only.
 */
export function checkControlRequest(
  remoteAddress: string | undefined,
  authorization: string | undefined,
  secret: string | undefined,
  realm = 'simulator-control'
): ControlRefusal | undefined {
  if (!isLoopbackAddress(remoteAddress)) {
    return {
      status: 403,
      message:
        'The control API answers loopback clients only (127.0.0.0/8, ::1); ' +
        `this request came from ${remoteAddress ?? 'an unknown address'}`,
      headers: {}
    };
  }
  if (secret === undefined) return undefined;
  const token = bearerToken(authorization);
  if (token === undefined) {
    return {
      status: 401,
      message: `Missing driver secret: ${SEND_SECRET}`,
      headers: { 'www-authenticate': `Bearer realm="${realm}"` }
    };
  }
  if (!secretMatches(token, secret)) {
    return {
      status: 401,
      message: `Wrong driver secret: ${SEND_SECRET}`,
      headers: { 'www-authenticate': `Bearer realm="${realm}", error="invalid_token"` }
    };
  }
  return undefined;
}

export interface ControlAccessOptions {
  /** The driver secret; undefined: loopback check only. Validated here (throws RangeError). */
  secret: string | undefined;
  /** The `WWW-Authenticate` realm. */
  realm: string;
  /** Sends the refusal in the simulator's error style and returns the reply. */
  refuse(reply: FastifyReply, refusal: ControlRefusal): FastifyReply;
}

/**
 * An `onRequest` hook for the control routes' own (encapsulated) plugin: refuses what
 * `checkControlRequest` refuses, before the body is read.
 */
export function controlAccessHook(
  options: ControlAccessOptions
): (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply | undefined> {
  const secret = validateDriverSecret(options.secret);
  return async (request, reply) => {
    const refusal = checkControlRequest(
      request.raw.socket.remoteAddress,
      request.headers.authorization,
      secret,
      options.realm
    );
    if (refusal === undefined) return undefined;
    reply.headers(refusal.headers);
    return options.refuse(reply, refusal);
  };
}
