/**
 * OData V2 addressing and JSON shapes: resource paths (`A_BusinessPartner('1000000')`,
 * `A_BusinessPartnerAddress(BusinessPartner='1000000',AddressID='20000')`, one navigation
 * segment), `$expand` trees, and the verbose JSON format: `{"d": {...}}` for one entity,
 * `{"d": {"results": [...]}}` for collections, `__metadata` (id, uri, type, etag) on every
 * entity, navigation properties as `{"results": [...]}` when expanded and
 * `{"__deferred": {"uri"}}` otherwise.
 */
import { ENTITY_TYPES, SERVICE_NAME, keysOf, type EntityTypeName } from './entities.ts';
import { badRequest } from './errors.ts';
import type { StoredAddress, StoredPartner } from './store.ts';
import type { Json } from './validation.ts';

export interface ResourcePath {
  set: string;
  /** Key values by property name; a single unnamed key is stored under ''. */
  keys?: Record<string, string>;
  navigation?: string;
}

const SEGMENT = /^([A-Za-z_][A-Za-z0-9_]*)(?:\(([^)]*)\))?(?:\/([A-Za-z_][A-Za-z0-9_]*))?\/?$/;

/** Parses the decoded path below the service root; undefined when it is not a resource path. */
export function parseResourcePath(path: string): ResourcePath | undefined {
  const match = SEGMENT.exec(path);
  if (!match?.[1]) return undefined;
  const result: ResourcePath = { set: match[1] };
  if (match[2] !== undefined) result.keys = parseKeys(match[2]);
  if (match[3] !== undefined) result.navigation = match[3];
  return result;
}

function parseKeys(text: string): Record<string, string> {
  const keys: Record<string, string> = {};
  for (const part of text.split(',')) {
    const at = part.indexOf('=');
    const name = at < 0 ? '' : part.slice(0, at).trim();
    const raw = (at < 0 ? part : part.slice(at + 1)).trim();
    const quoted = /^'(.*)'$/.exec(raw);
    if (!quoted) throw badRequest(`Invalid key predicate '${text}': key values are quoted strings`);
    keys[name] = (quoted[1] ?? '').replaceAll("''", "'");
  }
  return keys;
}

/** `$expand=a/b,c` as a tree. */
export type ExpandTree = Map<string, ExpandTree>;

export function parseExpand(text: string | undefined): ExpandTree {
  const tree: ExpandTree = new Map();
  for (const item of (text ?? '').split(',')) {
    let node = tree;
    for (const name of item.trim().split('/')) {
      if (name === '') continue;
      let child = node.get(name);
      if (!child) node.set(name, (child = new Map()));
      node = child;
    }
  }
  return tree;
}

export function keyPredicate(type: EntityTypeName, values: Json): string {
  const keys = keysOf(type);
  const quote = (v: unknown) => `'${String(v ?? '').replaceAll("'", "''")}'`;
  if (keys.length === 1) return `(${quote(values[keys[0] ?? ''])})`;
  return `(${keys.map((k) => `${k}=${quote(values[k])}`).join(',')})`;
}

/** Serializes entities against one base URL (the service root as the client called it). */
export class Serializer {
  constructor(private readonly serviceUrl: string) {}

  uri(type: EntityTypeName, values: Json): string {
    return `${this.serviceUrl}/${ENTITY_TYPES[type].set}${keyPredicate(type, values)}`;
  }

  partner(partner: StoredPartner, expand: ExpandTree): Json {
    return this.entity('A_BusinessPartnerType', partner.values, partner.etag, expand, {
      to_BusinessPartnerAddress: (sub) => partner.addresses.map((a) => this.address(a, sub)),
      to_BusinessPartnerRole: () =>
        partner.roles.map((r) => this.entity('A_BusinessPartnerRoleType', r)),
      to_BusinessPartnerTax: () =>
        partner.taxes.map((t) => this.entity('A_BusinessPartnerTaxNumberType', t))
    });
  }

  address(address: StoredAddress, expand: ExpandTree): Json {
    return this.entity('A_BusinessPartnerAddressType', address.values, address.etag, expand, {
      to_PhoneNumber: () => address.phones.map((p) => this.entity('A_AddressPhoneNumberType', p)),
      to_URLAddress: () => address.urls.map((u) => this.entity('A_AddressHomePageURLType', u))
    });
  }

  communication(type: 'A_AddressPhoneNumberType' | 'A_AddressHomePageURLType', row: Json): Json {
    return this.entity(type, row);
  }

  private entity(
    type: EntityTypeName,
    values: Json,
    etag?: string,
    expand: ExpandTree = new Map(),
    navigation: Record<string, (sub: ExpandTree) => Json[]> = {}
  ): Json {
    const uri = this.uri(type, values);
    const result: Json = {
      __metadata: { id: uri, uri, type: `${SERVICE_NAME}.${type}`, ...(etag ? { etag } : {}) },
      ...values
    };
    for (const [name, read] of Object.entries(navigation)) {
      const sub = expand.get(name);
      result[name] = sub ? { results: read(sub) } : { __deferred: { uri: `${uri}/${name}` } };
    }
    return result;
  }
}

/** Expands every navigation property of a partner (the answer to a deep insert). */
export const FULL_EXPAND: ExpandTree = parseExpand(
  'to_BusinessPartnerAddress/to_PhoneNumber,to_BusinessPartnerAddress/to_URLAddress,' +
    'to_BusinessPartnerRole,to_BusinessPartnerTax'
);
