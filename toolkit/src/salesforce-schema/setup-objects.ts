/**
 * Setup objects records point at, as the Object Reference for the Salesforce Platform describes
 * them: RecordType (RecordTypeId on objects with record types; the project's record types are
 * seeded from their metadata; they cannot be deleted through the data APIs) and Group (queues
 * and public groups own Leads, Cases and Tasks).
 */
import type { StandardObjectSpec } from './catalogue-fields.ts';
import {
  CREATE_ONLY,
  picklist,
  READ_ONLY,
  REQUIRED,
  text,
  typed,
  values
} from './catalogue-fields.ts';

export const SETUP_OBJECTS: StandardObjectSpec[] = [
  {
    name: 'RecordType',
    label: 'Record Type',
    labelPlural: 'Record Types',
    keyPrefix: '012',
    deletable: false,
    fields: [
      text('Name', 80, { ...REQUIRED, label: 'Record Type Label' }),
      text('DeveloperName', 80, { ...REQUIRED, label: 'Record Type Name' }),
      text('NamespacePrefix', 15, { ...READ_ONLY, label: 'Namespace Prefix' }),
      text('Description', 255),
      // A picklist of the org's object names in a real org; any name here.
      picklist('SobjectType', [], { ...REQUIRED, ...CREATE_ONLY, label: 'SObject Type Name' }),
      typed('IsActive', 'boolean', { label: 'Active' }),
      typed('IsPersonType', 'boolean', { ...READ_ONLY, label: 'Is Person Type' })
    ]
  },
  {
    name: 'Group',
    label: 'Group',
    labelPlural: 'Groups',
    keyPrefix: '00G',
    ownerTo: ['Organization', 'User'],
    fields: [
      text('Name', 40, REQUIRED),
      text('DeveloperName', 80, { label: 'Developer Name' }),
      picklist(
        'Type',
        values('Regular|Queue|Role|RoleAndSubordinates|Organization|Manager|PRMOrganization'),
        { ...CREATE_ONLY, restrictedPicklist: true, preselected: 'Regular' }
      ),
      typed('Email', 'email'),
      typed('DoesSendEmailToMembers', 'boolean', { label: 'Send Email to Members' }),
      typed('DoesIncludeBosses', 'boolean', { label: 'Include Bosses' })
    ]
  }
];
