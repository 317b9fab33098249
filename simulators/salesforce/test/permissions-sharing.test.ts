/**
 * Record access rules on the real schema and store, for two users holding the same permission
 * set (Create, Read, Edit, Delete on Account, Contact and Task, and their fields): organisation-
 * wide defaults decide what each sees of the other's records. The real clients' view of the same
 * rules is in permissions.test.ts.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { createEmulatorContext, type CoreEmulatorContext } from '../src/context.ts';
import { defaultConfig } from '../src/emulator.ts';
import { newId } from '../src/ids.ts';
import type { EmulatorContext, Principal } from '../src/model.ts';
import { SalesforceApiError } from '../src/model.ts';
import { createUserPermissions, sharingModels } from '../src/permissions/index.ts';
import { emptyPermissionSet } from '../src/permissions/permission-sets.ts';
import { profileByName, MINIMUM_ACCESS } from '../src/permissions/profiles.ts';
import { readProjectMetadata } from '../../../toolkit/src/salesforce-schema/index.ts';
import { REPO_ROOT } from './helpers/emulator.ts';

/** Reads every property (View All) and edits images: the media migration's shape of grant. */
function imageEditor(name: string) {
  const set = emptyPermissionSet(name);
  set.objects.set('property__c', {
    create: false,
    read: true,
    edit: false,
    delete: false,
    viewAll: true,
    modifyAll: false
  });
  set.objects.set('property_image__c', {
    create: true,
    read: true,
    edit: true,
    delete: false,
    viewAll: true,
    modifyAll: false
  });
  set.fields.set('property_image__c.caption__c', { readable: true, editable: true });
  return set;
}

function editor(name: string, viewAllTasks = false) {
  const set = emptyPermissionSet(name);
  for (const object of ['account', 'contact', 'task']) {
    set.objects.set(object, {
      create: true,
      read: true,
      edit: true,
      delete: true,
      viewAll: object === 'task' && viewAllTasks,
      modifyAll: false
    });
  }
  for (const field of ['Account.Description', 'Contact.AccountId']) {
    set.fields.set(field.toLowerCase(), { readable: true, editable: true });
  }
  return set;
}

describe('record access (organisation-wide defaults, ownership, View All)', () => {
  let ctx: CoreEmulatorContext;
  let alice: Principal;
  let bob: Principal;
  let carol: Principal;
  let dave: Principal;
  let as: (user: Principal) => EmulatorContext;

  before(async () => {
    ctx = await createEmulatorContext(defaultConfig(REPO_ROOT));
    const profile = profileByName(MINIMUM_ACCESS);
    assert.ok(profile);
    const user = (n: number, username: string): Principal => ({
      userId: newId('005', 100 + n),
      username,
      organizationId: ctx.config.organizationId
    });
    [alice, bob, carol, dave] = [
      user(1, 'alice@x'),
      user(2, 'bob@x'),
      user(3, 'carol@x'),
      user(4, 'dave@x')
    ];
    const permissions = createUserPermissions({
      schema: ctx.schema,
      store: ctx.store,
      permissionSets: new Map([
        ['Editor', editor('Editor')],
        ['Task_Auditor', editor('Task_Auditor', true)],
        ['Image_Editor', imageEditor('Image_Editor')]
      ]),
      sharing: sharingModels((await readProjectMetadata(REPO_ROOT)).objects.values()),
      users: [
        { ...alice, profile, permissionSets: ['Editor'], fields: {} },
        { ...bob, profile, permissionSets: ['Editor'], fields: {} },
        { ...carol, profile, permissionSets: ['Task_Auditor'], fields: {} },
        { ...dave, profile, permissionSets: ['Image_Editor'], fields: {} }
      ]
    });
    as = (principal) => permissions.contextFor(ctx, principal);
  });

  const refused = (run: () => unknown) =>
    assert.throws(run, (error: unknown) => {
      assert.ok(error instanceof SalesforceApiError);
      assert.equal(error.errorCode, 'INSUFFICIENT_ACCESS_OR_READONLY');
      return true;
    });

  it('Account is Public Read/Write: others read and edit, only the owner deletes', () => {
    const account = as(alice).store.insert('Account', { Name: 'Alice Co' }, alice);
    assert.equal(as(bob).store.get('Account', account.Id)?.Name, 'Alice Co');
    as(bob).store.update('Account', account.Id, { Description: 'edited by Bob' }, bob);
    refused(() => as(bob).store.delete('Account', account.Id, bob));
    // Nor change its owner (no Modify All, no Transfer Record).
    refused(() => as(bob).store.update('Account', account.Id, { OwnerId: bob.userId }, bob));
    as(alice).store.delete('Account', account.Id, alice);
  });

  it('Task is Private: the owner sees it, View All sees it, others do not', () => {
    const task = as(alice).store.insert('Task', { Subject: 'Call' }, alice);
    assert.equal(as(bob).store.get('Task', task.Id), undefined);
    assert.equal(
      [...as(bob).store.scan('Task')].some((t) => t.Id === task.Id),
      false
    );
    refused(() => as(bob).store.update('Task', task.Id, { Subject: 'Mine' }, bob));
    assert.equal(as(bob).soql.prepare('SELECT Id FROM Task').count(), 0);
    assert.equal(as(carol).soql.prepare('SELECT Id FROM Task').count(), 1);
    assert.equal(as(alice).store.get('Task', task.Id)?.Subject, 'Call');
  });

  it('Contact is Controlled by Parent: visible and editable through its Account', () => {
    const account = as(alice).store.insert('Account', { Name: 'Parent Co' }, alice);
    const contact = as(alice).store.insert(
      'Contact',
      { LastName: 'Child', AccountId: account.Id },
      alice
    );
    assert.equal(as(bob).store.get('Contact', contact.Id)?.LastName, 'Child');
    as(bob).store.update('Contact', contact.Id, { LastName: 'Renamed' }, bob);
    // Without an Account, a Contact is private to its owner.
    const orphan = as(alice).store.insert('Contact', { LastName: 'Orphan' }, alice);
    assert.equal(as(bob).store.get('Contact', orphan.Id), undefined);
  });

  it('a Read Only master-detail (writeRequiresMasterRead): Read on the master edits the detail', () => {
    const field = ctx.schema.getField(ctx.schema.getObject('Property_Image__c')!, 'Property__c');
    assert.equal(field?.writeRequiresMasterRead, true);
    const property = ctx.store.insertAsSystem(
      'Property__c',
      { Name: 'Harbour View', Listing_Number__c: 'HV-9' },
      alice
    );
    const image = ctx.store.insertAsSystem(
      'Property_Image__c',
      {
        Property__c: property.Id,
        Storage_Key__c: 'properties/HV-9/0f8e0c1a-1b2c-4d3e-8f4a-5b6c7d8e9f01'
      },
      alice
    );
    // Dave reads the property (View All) but may not edit it; its image he may.
    refused(() => as(dave).store.update('Property__c', property.Id, { Name: 'Mine' }, dave));
    as(dave).store.update('Property_Image__c', image.Id, { Caption__c: 'Front' }, dave);
    assert.equal(ctx.store.get('Property_Image__c', image.Id)?.Caption__c, 'Front');
  });
});

describe('organization-wide defaults set by the config (sharingModels)', () => {
  it('override the metadata and the new-org defaults; Controlled by Parent stays', async () => {
    const objects = [...(await readProjectMetadata(REPO_ROOT)).objects.values()];
    assert.equal(sharingModels(objects).internal('Account'), 'ReadWrite');
    const models = sharingModels(objects, { Account: 'Private' });
    assert.equal(models.internal('Account'), 'Private');
    assert.equal(models.internal('Opportunity'), 'ReadWrite');
    assert.throws(() => sharingModels(objects, { Contact: 'Private' }), /Controlled by Parent/);
    assert.throws(
      () => sharingModels(objects, { Account: 'Nope' as 'Private' }),
      /unsupported organization-wide default/
    );
  });
});
