/**
 * The built-in profiles a new org has and the emulator needs, reduced to what they grant through
 * the data APIs. Profiles are not deployed from the project (it ships permission sets only, as
 * least-privilege projects do), so these are fixed here:
 *
 * - System Administrator: "View All Data" and "Modify All Data" (every object and field).
 * - Minimum Access - API Only Integrations: API access and nothing else; what the integration
 *   user can do comes from its permission sets (the profile Salesforce recommends for it).
 * - Minimum Access - Salesforce: nothing.
 * - Customer Community User: the Experience Cloud license's basics (read Accounts, read and edit
 *   Contacts, read, create and edit Cases, with their common fields).
 */
import { PROFILE_KEY_PREFIX, to18 } from '../ids.ts';
import {
  emptyPermissionSet,
  type ObjectPermission,
  type PermissionSetDefinition
} from './permission-sets.ts';

export const SYSTEM_ADMINISTRATOR = 'System Administrator';
export const API_ONLY_INTEGRATIONS = 'Minimum Access - API Only Integrations';
export const MINIMUM_ACCESS = 'Minimum Access - Salesforce';
export const CUSTOMER_COMMUNITY = 'Customer Community User';

export interface Profile {
  id: string;
  definition: PermissionSetDefinition;
  /** External (portal) users see records through the objects' external sharing model. */
  external: boolean;
}

function objectPermission(letters: string): ObjectPermission {
  return {
    create: letters.includes('C'),
    read: letters.includes('R'),
    edit: letters.includes('E'),
    delete: letters.includes('D'),
    viewAll: false,
    modifyAll: false
  };
}

function profile(
  ordinal: number,
  name: string,
  options: {
    userPermissions?: string[];
    objects?: Record<string, string>;
    /** `Object.Field` -> 'R' (read) or 'RE' (read and edit). */
    fields?: Record<string, string>;
    external?: boolean;
  } = {}
): Profile {
  const definition = emptyPermissionSet(name);
  for (const permission of options.userPermissions ?? [])
    definition.userPermissions.add(permission);
  for (const [object, letters] of Object.entries(options.objects ?? {})) {
    definition.objects.set(object.toLowerCase(), objectPermission(letters));
  }
  for (const [field, letters] of Object.entries(options.fields ?? {})) {
    definition.fields.set(field.toLowerCase(), {
      readable: letters.includes('R'),
      editable: letters.includes('E')
    });
  }
  return {
    id: to18(`${PROFILE_KEY_PREFIX}${String(ordinal).padStart(12, '0')}`),
    definition,
    external: options.external ?? false
  };
}

function fieldsOf(object: string, names: string, letters: string): Record<string, string> {
  return Object.fromEntries(names.split(' ').map((name) => [`${object}.${name}`, letters]));
}

export const PROFILES: readonly Profile[] = [
  profile(1, SYSTEM_ADMINISTRATOR, {
    userPermissions: ['ApiEnabled', 'ViewAllData', 'ModifyAllData']
  }),
  profile(2, API_ONLY_INTEGRATIONS, { userPermissions: ['ApiEnabled', 'ApiUserOnly'] }),
  profile(3, MINIMUM_ACCESS),
  profile(4, CUSTOMER_COMMUNITY, {
    userPermissions: ['ApiEnabled'],
    objects: { Account: 'R', Contact: 'RE', Case: 'CRE' },
    fields: {
      ...fieldsOf(
        'Account',
        'Phone Website BillingStreet BillingCity BillingState BillingPostalCode BillingCountry',
        'R'
      ),
      ...fieldsOf('Contact', 'AccountId FirstName Email Phone MobilePhone Title', 'RE'),
      ...fieldsOf('Case', 'AccountId ContactId Subject Description Status Origin Priority', 'RE')
    },
    external: true
  })
];

export function profileByName(name: string): Profile | undefined {
  return PROFILES.find((p) => p.definition.name === name);
}

export function profileById(id: unknown): Profile | undefined {
  return PROFILES.find((p) => p.id === id);
}
