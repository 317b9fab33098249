/**
 * What users see (issue 11): the Integration Console app, its tabs and record pages, the list
 * views, and the Account undelete trigger are part of this repository's metadata. These checks
 * read the shipped files, so removing a field from the Account page, integrationLogList from the
 * Account or Invoice page, a tab from the app, or the undelete trigger fails here.
 */
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { TOOL_ROOT } from './fixture.ts';

const MAIN = path.join(TOOL_ROOT, 'force-app', 'main');
const read = (relative: string) => readFile(path.join(MAIN, relative), 'utf8');

describe('what users see', () => {
  it('the Integration Console app has the Account, Invoice, Payment and Integration Log tabs and their record pages', async () => {
    const app = await read('common/applications/Integration_Console.app-meta.xml');
    for (const tab of ['standard-Account', 'Invoice__c', 'Payment__c', 'Integration_Log__c'])
      assert.match(app, new RegExp(`<tabs>${tab}</tabs>`), tab);
    for (const page of [
      'Account_Integration_Record_Page',
      'Invoice_Record_Page',
      'Payment_Record_Page'
    ])
      assert.match(app, new RegExp(`<content>${page}</content>`), page);
    await read('payments/tabs/Invoice__c.tab-meta.xml');
    await read('payments/tabs/Payment__c.tab-meta.xml');
    await read('common/tabs/Integration_Log__c.tab-meta.xml');
    const admin = await read('common/permissionsets/Integration_Admin.permissionset-meta.xml');
    assert.match(
      admin,
      /<application>Integration_Console<\/application>\s*<visible>true<\/visible>/
    );
  });

  it('the Account record page shows the four sync fields and integrationLogList', async () => {
    const page = await read(
      'account-sync/flexipages/Account_Integration_Record_Page.flexipage-meta.xml'
    );
    for (const field of [
      'Sync_Status__c',
      'SAP_Customer_Number__c',
      'Sync_Error__c',
      'Last_Synced_At__c'
    ])
      assert.match(page, new RegExp(`<fieldItem>Record\\.${field}</fieldItem>`), field);
    assert.match(page, /<componentName>integrationLogList<\/componentName>/);
    assert.match(page, /<sobjectType>Account<\/sobjectType>/);
  });

  it('the Invoice record page shows integrationLogList and the layouts hold the fields', async () => {
    const invoice = await read('payments/flexipages/Invoice_Record_Page.flexipage-meta.xml');
    assert.match(invoice, /<componentName>integrationLogList<\/componentName>/);
    const invoiceLayout = await read('payments/layouts/Invoice__c-Invoice Layout.layout-meta.xml');
    for (const field of ['Account__c', 'Status__c', 'Amount__c', 'Currency_Code__c', 'Due_Date__c'])
      assert.match(invoiceLayout, new RegExp(`<field>${field}</field>`), field);
    assert.match(invoiceLayout, /<relatedList>Payment__c\.Invoice__c<\/relatedList>/);
    const paymentLayout = await read('payments/layouts/Payment__c-Payment Layout.layout-meta.xml');
    assert.doesNotMatch(
      paymentLayout,
      /<behavior>(Edit|Required)<\/behavior>/,
      'payments are server-owned'
    );
  });

  it('integrationLogList can be placed on record pages', async () => {
    const meta = await read('common/lwc/integrationLogList/integrationLogList.js-meta.xml');
    assert.match(meta, /<isExposed>true<\/isExposed>/);
    assert.match(meta, /<target>lightning__RecordPage<\/target>/);
  });

  it('every record page shows integrationLogList only to log readers, and admins can open the gallery', async () => {
    const pages = (await readdir(MAIN, { recursive: true })).filter((file) =>
      file.endsWith('.flexipage-meta.xml')
    );
    const withLogList: string[] = [];
    for (const page of pages) {
      const xml = await read(page);
      if (!xml.includes('<componentName>integrationLogList</componentName>')) continue;
      withLogList.push(path.basename(page, '.flexipage-meta.xml'));
      assert.match(
        xml,
        /<componentName>integrationLogList<\/componentName>\s*<identifier>integrationLogList<\/identifier>\s*(<!--[\s\S]*?-->\s*)?<visibilityRule>\s*<criteria>\s*<leftValue>\{!\$Permission\.CustomPermission\.Integration_Log_Viewer\}<\/leftValue>\s*<operator>EQUAL<\/operator>\s*<rightValue>true<\/rightValue>\s*<\/criteria>\s*<\/visibilityRule>/,
        page
      );
      // One criterion only: a second one, or a filter joining them with OR, could show it to others.
      assert.doesNotMatch(xml, /<booleanFilter>/, page);
    }
    for (const page of [
      'Account_Integration_Record_Page',
      'Invoice_Record_Page',
      'Payment_Record_Page',
      'Passport_Application_Record_Page',
      'Contact_Activity_Record_Page',
      'Daily_Activity_Summary_Record_Page',
      'Billing_Account_Record_Page',
      'Property_Record_Page',
      'Property_Image_Record_Page'
    ])
      assert.ok(withLogList.includes(page), `${page} shows integrationLogList`);
    await read('common/customPermissions/Integration_Log_Viewer.customPermission-meta.xml');
    const admin = await read('common/permissionsets/Integration_Admin.permissionset-meta.xml');
    assert.match(
      admin,
      /<customPermissions>\s*<enabled>true<\/enabled>\s*<name>Integration_Log_Viewer<\/name>/
    );
    assert.match(admin, /<apexClass>PropertyGalleryController<\/apexClass>\s*<enabled>true/);
    assert.match(admin, /<externalCredentialPrincipal>Property_Media-Service</);
    const agent = await read(
      'property-media/permissionsets/Property_Media_User.permissionset-meta.xml'
    );
    assert.doesNotMatch(agent, /Integration_Log_Viewer/, 'agents cannot read the logs');
  });

  it('list views for sync errors and Unknown payments exist', async () => {
    const errors = await read(
      'account-sync/objects/Account/listViews/Sync_Errors.listView-meta.xml'
    );
    assert.match(
      errors,
      /<field>Sync_Status__c<\/field>\s*<operation>equals<\/operation>\s*<value>Failed<\/value>/
    );
    const unknown = await read(
      'payments/objects/Payment__c/listViews/Unknown_Payments.listView-meta.xml'
    );
    assert.match(
      unknown,
      /<field>Status__c<\/field>\s*<operation>equals<\/operation>\s*<value>Unknown<\/value>/
    );
  });

  it('Account undelete publishes through AccountUndeleteHandler', async () => {
    const trigger = await read('account-sync/triggers/AccountSyncUndelete.trigger');
    assert.match(trigger, /on Account\s*\(\s*after undelete\s*\)/);
    assert.match(trigger, /AccountUndeleteHandler\.afterUndelete\(Trigger\.new\)/);
  });
});
