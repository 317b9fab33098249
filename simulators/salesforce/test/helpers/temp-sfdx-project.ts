/**
 * A small SFDX project written to a temporary directory, covering what the schema loader must
 * handle: metadata spread over slices and two package directories, a restricted picklist, a
 * global value set, an external id, a required field, a lookup, an auto-number, a master-detail
 * child, a formula, a custom field on a standard object without its object-meta.xml, a platform
 * event and a custom metadata type with a record.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

const XML_HEAD = '<?xml version="1.0" encoding="UTF-8"?>';
const NS = 'xmlns="http://soap.sforce.com/2006/04/metadata"';

function field(name: string, body: string): string {
  return `${XML_HEAD}\n<CustomField ${NS}>\n  <fullName>${name}</fullName>\n${body}\n</CustomField>\n`;
}

function object(body: string): string {
  return `${XML_HEAD}\n<CustomObject ${NS}>\n${body}\n</CustomObject>\n`;
}

const FILES: Record<string, string> = {
  'sfdx-project.json': JSON.stringify({
    packageDirectories: [{ path: 'force-app', default: true }, { path: 'extra-app' }],
    sourceApiVersion: '65.0'
  }),
  'force-app/main/properties/objects/Property__c/Property__c.object-meta.xml': object(`
  <label>Property</label>
  <pluralLabel>Properties</pluralLabel>
  <nameField><label>Property Name</label><type>Text</type></nameField>
  <sharingModel>ReadWrite</sharingModel>`),
  'force-app/main/properties/objects/Property__c/fields/Status__c.field-meta.xml': field(
    'Status__c',
    `  <label>Status</label>
  <required>false</required>
  <type>Picklist</type>
  <valueSet>
    <restricted>true</restricted>
    <valueSetDefinition>
      <sorted>false</sorted>
      <value><fullName>Draft</fullName><default>true</default><label>Draft</label></value>
      <value><fullName>Listed</fullName><default>false</default><label>Listed</label></value>
      <value><fullName>Sold%2C Closed</fullName><default>false</default><label>Sold, Closed</label></value>
    </valueSetDefinition>
  </valueSet>`
  ),
  'force-app/main/properties/objects/Property__c/fields/Kind__c.field-meta.xml': field(
    'Kind__c',
    `  <label>Kind</label>
  <type>Picklist</type>
  <valueSet><valueSetName>Property_Kinds</valueSetName></valueSet>`
  ),
  'force-app/main/properties/objects/Property__c/fields/External_Key__c.field-meta.xml': field(
    'External_Key__c',
    `  <label>External Key</label>
  <caseSensitive>false</caseSensitive>
  <externalId>true</externalId>
  <length>20</length>
  <required>false</required>
  <type>Text</type>
  <unique>true</unique>`
  ),
  'force-app/main/properties/objects/Property__c/fields/Legacy_Code__c.field-meta.xml': field(
    'Legacy_Code__c',
    `  <label>Legacy Code</label>
  <caseSensitive>true</caseSensitive>
  <externalId>true</externalId>
  <length>10</length>
  <type>Text</type>
  <unique>true</unique>`
  ),
  'force-app/main/properties/objects/Property__c/fields/Region__c.field-meta.xml': field(
    'Region__c',
    `  <label>Region</label>
  <externalId>true</externalId>
  <length>30</length>
  <type>Text</type>
  <unique>false</unique>`
  ),
  'force-app/main/properties/objects/Property__c/fields/City__c.field-meta.xml': field(
    'City__c',
    `  <label>City</label>
  <length>40</length>
  <required>true</required>
  <type>Text</type>`
  ),
  'force-app/main/properties/objects/Property__c/fields/Account__c.field-meta.xml': field(
    'Account__c',
    `  <label>Account</label>
  <referenceTo>Account</referenceTo>
  <relationshipName>Properties</relationshipName>
  <deleteConstraint>SetNull</deleteConstraint>
  <type>Lookup</type>`
  ),
  'force-app/main/properties/objects/Property__c/fields/Listing_Number__c.field-meta.xml': field(
    'Listing_Number__c',
    `  <label>Listing Number</label>
  <displayFormat>PR-{YYYY}-{0000}</displayFormat>
  <type>AutoNumber</type>`
  ),
  'force-app/main/properties/objects/Property__c/fields/Price__c.field-meta.xml': field(
    'Price__c',
    `  <label>Price</label>
  <precision>10</precision>
  <scale>2</scale>
  <type>Currency</type>`
  ),
  'force-app/main/properties/objects/Property__c/fields/Rooms__c.field-meta.xml': field(
    'Rooms__c',
    `  <label>Rooms</label>
  <precision>3</precision>
  <scale>0</scale>
  <type>Number</type>`
  ),
  'force-app/main/properties/objects/Property__c/fields/Listed_On__c.field-meta.xml': field(
    'Listed_On__c',
    `  <label>Listed On</label>
  <type>Date</type>`
  ),
  'force-app/main/properties/objects/Property__c/fields/Inspected_At__c.field-meta.xml': field(
    'Inspected_At__c',
    `  <label>Inspected At</label>
  <type>DateTime</type>`
  ),
  'force-app/main/properties/objects/Property__c/fields/Furnished__c.field-meta.xml': field(
    'Furnished__c',
    `  <defaultValue>true</defaultValue>
  <label>Furnished</label>
  <type>Checkbox</type>`
  ),
  'force-app/main/properties/objects/Property__c/fields/Features__c.field-meta.xml': field(
    'Features__c',
    `  <label>Features</label>
  <type>MultiselectPicklist</type>
  <visibleLines>4</visibleLines>
  <valueSet>
    <restricted>true</restricted>
    <valueSetDefinition>
      <value><fullName>Garden</fullName><default>false</default><label>Garden</label></value>
      <value><fullName>Pool</fullName><default>false</default><label>Pool</label></value>
    </valueSetDefinition>
  </valueSet>`
  ),
  'force-app/main/properties/objects/Property__c/fields/Description__c.field-meta.xml': field(
    'Description__c',
    `  <label>Description</label>
  <length>5000</length>
  <type>LongTextArea</type>
  <visibleLines>5</visibleLines>`
  ),
  'force-app/main/properties/objects/Property__c/fields/Contact_Email__c.field-meta.xml': field(
    'Contact_Email__c',
    `  <label>Contact Email</label>
  <type>Email</type>`
  ),
  'force-app/main/properties/objects/Property__c/fields/Display_Name__c.field-meta.xml': field(
    'Display_Name__c',
    `  <label>Display Name</label>
  <formula>Name &amp; ' (' &amp; City__c &amp; ')'</formula>
  <type>Text</type>`
  ),
  'force-app/main/properties/globalValueSets/Property_Kinds.globalValueSet-meta.xml': `${XML_HEAD}
<GlobalValueSet ${NS}>
  <customValue><fullName>House</fullName><default>false</default><label>House</label></customValue>
  <customValue><fullName>Flat</fullName><default>false</default><label>Flat</label></customValue>
  <masterLabel>Property Kinds</masterLabel>
  <sorted>false</sorted>
</GlobalValueSet>
`,
  'force-app/main/properties/objects/Inspection__c/Inspection__c.object-meta.xml': object(`
  <label>Inspection</label>
  <pluralLabel>Inspections</pluralLabel>
  <nameField><label>Inspection Number</label><displayFormat>INS-{00000}</displayFormat><type>AutoNumber</type></nameField>`),
  'force-app/main/properties/objects/Inspection__c/fields/Property__c.field-meta.xml': field(
    'Property__c',
    `  <label>Property</label>
  <referenceTo>Property__c</referenceTo>
  <relationshipName>Inspections</relationshipName>
  <relationshipOrder>0</relationshipOrder>
  <reparentableMasterDetail>false</reparentableMasterDetail>
  <type>MasterDetail</type>`
  ),
  // A custom field on a standard object, in another slice, with no Account.object-meta.xml.
  'force-app/main/account-sync/objects/Account/fields/SAP_Customer_Number__c.field-meta.xml': field(
    'SAP_Customer_Number__c',
    `  <label>SAP Customer Number</label>
  <externalId>true</externalId>
  <length>10</length>
  <type>Text</type>
  <unique>true</unique>`
  ),
  'extra-app/objects/Property_Sold__e/Property_Sold__e.object-meta.xml': object(`
  <deploymentStatus>Deployed</deploymentStatus>
  <eventType>HighVolume</eventType>
  <label>Property Sold</label>
  <pluralLabel>Property Sold</pluralLabel>`),
  'extra-app/objects/Property_Sold__e/fields/Property_Id__c.field-meta.xml': field(
    'Property_Id__c',
    `  <label>Property Id</label>
  <length>18</length>
  <required>true</required>
  <type>Text</type>`
  ),
  'extra-app/objects/Limits_Setting__mdt/Limits_Setting__mdt.object-meta.xml': object(`
  <label>Limits Setting</label>
  <pluralLabel>Limits Settings</pluralLabel>`),
  'extra-app/objects/Limits_Setting__mdt/fields/Batch_Size__c.field-meta.xml': field(
    'Batch_Size__c',
    `  <label>Batch Size</label>
  <precision>4</precision>
  <scale>0</scale>
  <type>Number</type>`
  ),
  'extra-app/customMetadata/Limits_Setting.Bulk.md-meta.xml': `${XML_HEAD}
<CustomMetadata ${NS} xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema">
  <label>Bulk Loads</label>
  <protected>false</protected>
  <values><field>Batch_Size__c</field><value xsi:type="xsd:double">200.0</value></values>
</CustomMetadata>
`
};

export interface TempProject {
  dir: string;
  remove(): Promise<void>;
}

export async function createTempSfdxProject(): Promise<TempProject> {
  const dir = await mkdtemp(path.join(tmpdir(), 'sf-emulator-project-'));
  for (const [relative, content] of Object.entries(FILES)) {
    const file = path.join(dir, relative);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, content);
  }
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}
