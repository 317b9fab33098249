/**
 * The users an emulated org starts with, and what each is assigned:
 *
 * - `admin@emulator.local`: System Administrator (the test driver's and fixtures' user).
 * - `integration@emulator.local`: Minimum Access - API Only Integrations plus exactly the
 *   `Integration_Service_User` permission set, as docs/common.md tells admins to set it up; the
 *   client-credentials flow runs as this user.
 * - `finance@emulator.local`, when the project has `Finance_Export_Integration`: Minimum
 *   Access - API Only Integrations plus exactly that set, the Finance export's own API-only
 *   user (docs/finance-platform.md, "Who reads it"); the Finance connected app's
 *   client-credentials flow runs as this user.
 * - `media@emulator.local`, when the project has `Property_Media_Migration`: Minimum Access -
 *   API Only Integrations plus exactly that set, the property image migration's own API-only
 *   user (docs/property-media.md); the media connected app's client-credentials flow runs as
 *   this user.
 * - `portal@emulator.local`, when the project has `Integration_Portal_User`: a Customer
 *   Community user with that permission set. Give it a Contact (`ContactId`, e.g. through the
 *   driver's fixtures or an admin PATCH) to make it see its account's records.
 */
import { newId } from '../ids.ts';
import {
  API_ONLY_INTEGRATIONS,
  CUSTOMER_COMMUNITY,
  profileByName,
  SYSTEM_ADMINISTRATOR,
  type Profile
} from './profiles.ts';

export const INTEGRATION_USERNAME = 'integration@emulator.local';
export const ADMIN_USERNAME = 'admin@emulator.local';
export const PORTAL_USERNAME = 'portal@emulator.local';
export const FINANCE_USERNAME = 'finance@emulator.local';
export const MEDIA_USERNAME = 'media@emulator.local';

export const INTEGRATION_PERMISSION_SET = 'Integration_Service_User';
export const PORTAL_PERMISSION_SET = 'Integration_Portal_User';
export const FINANCE_PERMISSION_SET = 'Finance_Export_Integration';
export const MEDIA_PERMISSION_SET = 'Property_Media_Migration';

export interface SeededUser {
  userId: string;
  username: string;
  profile: Profile;
  permissionSets: string[];
  /** User record fields besides the username and profile. */
  fields: Record<string, unknown>;
}

function requireProfile(name: string): Profile {
  const profile = profileByName(name);
  if (!profile) throw new Error(`No built-in profile ${name}`);
  return profile;
}

/** The seeded users (deterministic ids, so fixtures and tokens can name them across restarts). */
export function seededUsers(permissionSetNames: ReadonlySet<string>): SeededUser[] {
  const users: SeededUser[] = [
    {
      userId: newId('005', 1),
      username: INTEGRATION_USERNAME,
      profile: requireProfile(API_ONLY_INTEGRATIONS),
      permissionSets: permissionSetNames.has(INTEGRATION_PERMISSION_SET)
        ? [INTEGRATION_PERMISSION_SET]
        : [],
      fields: {
        FirstName: 'Integration',
        LastName: 'User',
        Alias: 'integ',
        CommunityNickname: 'integration'
      }
    },
    {
      userId: newId('005', 2),
      username: ADMIN_USERNAME,
      profile: requireProfile(SYSTEM_ADMINISTRATOR),
      permissionSets: [],
      fields: { FirstName: 'Admin', LastName: 'User', Alias: 'admin', CommunityNickname: 'admin' }
    }
  ];
  if (permissionSetNames.has(PORTAL_PERMISSION_SET)) {
    users.push({
      userId: newId('005', 3),
      username: PORTAL_USERNAME,
      profile: requireProfile(CUSTOMER_COMMUNITY),
      permissionSets: [PORTAL_PERMISSION_SET],
      fields: {
        FirstName: 'Portal',
        LastName: 'User',
        Alias: 'portal',
        CommunityNickname: 'portal',
        UserType: 'CspLitePortal'
      }
    });
  }
  if (permissionSetNames.has(FINANCE_PERMISSION_SET)) {
    users.push({
      userId: newId('005', 4),
      username: FINANCE_USERNAME,
      profile: requireProfile(API_ONLY_INTEGRATIONS),
      permissionSets: [FINANCE_PERMISSION_SET],
      fields: {
        FirstName: 'Finance',
        LastName: 'Export',
        Alias: 'finexp',
        CommunityNickname: 'finance-export'
      }
    });
  }
  if (permissionSetNames.has(MEDIA_PERMISSION_SET)) {
    users.push({
      userId: newId('005', 5),
      username: MEDIA_USERNAME,
      profile: requireProfile(API_ONLY_INTEGRATIONS),
      permissionSets: [MEDIA_PERMISSION_SET],
      fields: {
        FirstName: 'Property Media',
        LastName: 'Migration',
        Alias: 'mediamig',
        CommunityNickname: 'property-media-migration'
      }
    });
  }
  return users;
}
