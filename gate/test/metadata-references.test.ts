/**
 * The `references` check on metadata: permission sets and profiles, flows, list views, layouts,
 * Lightning record pages and custom metadata records. Each case adds or edits one file of the
 * clean base fixture so that it names something that does not exist, and expects an error on
 * that file and line; the valid file next to it must pass.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkReferences } from '../src/checks/references.ts';
import type { Finding } from '../src/finding.ts';
import { loadWorkspace } from '../src/workspace.ts';
import { DEMO, FixtureProject, TOOL_ROOT } from './fixture.ts';

const NS = 'xmlns="http://soap.sforce.com/2006/04/metadata"';
const PERMISSION_SET = `${DEMO}/permissionsets/Demo_Access.permissionset-meta.xml`;
const PROFILE = `${DEMO}/profiles/Demo Profile.profile-meta.xml`;
const FLOW = `${DEMO}/flows/Demo_Default_Amount.flow-meta.xml`;
const LIST_VIEW = `${DEMO}/objects/Demo__c/listViews/All.listView-meta.xml`;
const LAYOUT = `${DEMO}/layouts/Demo__c-Demo Layout.layout-meta.xml`;
const FLEXIPAGE = `${DEMO}/flexipages/Demo_Record_Page.flexipage-meta.xml`;
const SETTING_TYPE = `${DEMO}/objects/Demo_Setting__mdt`;
const SETTING_RECORD = `${DEMO}/customMetadata/Demo_Setting.Default.md-meta.xml`;

/** A permission set whose grants are `body`, starting on line 4. */
function permissionSet(body: string): string {
  return `<?xml version="1.0" encoding="UTF-8" ?>
<PermissionSet ${NS}>
  <label>Demo Access</label>
${body}
</PermissionSet>
`;
}

const validGrants = `  <classAccesses>
    <apexClass>DemoService</apexClass>
    <enabled>true</enabled>
  </classAccesses>
  <fieldPermissions>
    <editable>true</editable>
    <field>Demo__c.Amount__c</field>
    <readable>true</readable>
  </fieldPermissions>
  <objectPermissions>
    <allowRead>true</allowRead>
    <object>Demo__c</object>
  </objectPermissions>
  <tabSettings>
    <tab>standard-Account</tab>
    <visibility>Visible</visibility>
  </tabSettings>`;

const listView = (column: string): string => `<?xml version="1.0" encoding="UTF-8" ?>
<ListView ${NS}>
  <fullName>All</fullName>
  <columns>NAME</columns>
  <columns>${column}</columns>
  <filterScope>Everything</filterScope>
  <label>All</label>
</ListView>
`;

const layout = (field: string, related = ''): string => `<?xml version="1.0" encoding="UTF-8" ?>
<Layout ${NS}>
  <layoutSections>
    <label>Demo</label>
    <layoutColumns>
      <layoutItems>
        <behavior>Edit</behavior>
        <field>${field}</field>
      </layoutItems>
    </layoutColumns>
    <style>OneColumn</style>
  </layoutSections>
${related}</Layout>
`;

/** Related lists for the layout: `list` at line 16 (showing NAME and CREATED_DATE), then notes. */
const relatedLists = (list: string): string => `  <relatedLists>
    <fields>NAME</fields>
    <fields>CREATED_DATE</fields>
    <relatedList>${list}</relatedList>
  </relatedLists>
  <relatedLists>
    <relatedList>RelatedNoteList</relatedList>
  </relatedLists>
`;

const flexipage = (
  field: string,
  components = ''
): string => `<?xml version="1.0" encoding="UTF-8" ?>
<FlexiPage ${NS}>
  <flexiPageRegions>
    <itemInstances>
      <fieldInstance>
        <fieldItem>Record.${field}</fieldItem>
        <identifier>RecordField</identifier>
      </fieldInstance>
    </itemInstances>
${components}    <name>main</name>
    <type>Region</type>
  </flexiPageRegions>
  <masterLabel>Demo Record Page</masterLabel>
  <sobjectType>Demo__c</sobjectType>
  <type>RecordPage</type>
</FlexiPage>
`;

/** A single related list component, its relatedListApiName on the component's line + 4. */
const relatedListComponent = (name: string): string => `    <itemInstances>
      <componentInstance>
        <componentInstanceProperties>
          <name>relatedListApiName</name>
          <value>${name}</value>
        </componentInstanceProperties>
        <componentName>force:relatedListSingleContainer</componentName>
        <identifier>related_${name}</identifier>
      </componentInstance>
    </itemInstances>
`;

const ACCOUNT_LIST_VIEW = `${DEMO}/objects/Account/listViews/Mine.listView-meta.xml`;
const CUSTOM_COLUMNS_LIST_VIEW = `${DEMO}/objects/Demo__c/listViews/Recent.listView-meta.xml`;

/** An Account list view: standard columns, then `column` at line 6. */
const accountListView = (column: string): string => `<?xml version="1.0" encoding="UTF-8" ?>
<ListView ${NS}>
  <fullName>Mine</fullName>
  <columns>ACCOUNT.NAME</columns>
  <columns>CORE.USERS.ALIAS</columns>
  <columns>${column}</columns>
  <filterScope>Mine</filterScope>
  <label>Mine</label>
</ListView>
`;

/** A custom object's standard columns as Salesforce writes them. */
const customColumnsListView = `<?xml version="1.0" encoding="UTF-8" ?>
<ListView ${NS}>
  <fullName>Recent</fullName>
  <columns>NAME</columns>
  <columns>OWNER.ALIAS</columns>
  <columns>CREATED_DATE</columns>
  <columns>UPDATEDBY_USER</columns>
  <columns>LAST_UPDATE</columns>
  <filterScope>Everything</filterScope>
  <label>Recent</label>
</ListView>
`;

const settingRecord = (field: string): string => `<?xml version="1.0" encoding="UTF-8" ?>
<CustomMetadata ${NS} xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <label>Default</label>
  <protected>false</protected>
  <values>
    <field>${field}</field>
    <value xsi:type="xsd:double">5.0</value>
  </values>
</CustomMetadata>
`;

/** A custom metadata type Demo_Setting__mdt with one number field, Limit__c. */
async function addSettingType(p: FixtureProject): Promise<void> {
  await p.write(
    `${SETTING_TYPE}/Demo_Setting__mdt.object-meta.xml`,
    `<?xml version="1.0" encoding="UTF-8" ?>
<CustomObject ${NS}>
  <label>Demo Setting</label>
  <pluralLabel>Demo Settings</pluralLabel>
  <visibility>Public</visibility>
</CustomObject>
`
  );
  await p.write(
    `${SETTING_TYPE}/fields/Limit__c.field-meta.xml`,
    `<?xml version="1.0" encoding="UTF-8" ?>
<CustomField ${NS}>
  <fullName>Limit__c</fullName>
  <label>Limit</label>
  <precision>18</precision>
  <scale>0</scale>
  <type>Number</type>
</CustomField>
`
  );
}

const EXTERNAL_CREDENTIAL = `${DEMO}/externalCredentials/Demo_ESB.externalCredential-meta.xml`;

/** An External Credential Demo_ESB with one named principal, ESB, and an auth header. */
async function addExternalCredential(p: FixtureProject): Promise<void> {
  await p.write(
    EXTERNAL_CREDENTIAL,
    `<?xml version="1.0" encoding="UTF-8" ?>
<ExternalCredential ${NS}>
  <authenticationProtocol>Custom</authenticationProtocol>
  <externalCredentialParameters>
    <parameterGroup>ESB</parameterGroup>
    <parameterName>ESB</parameterName>
    <parameterType>NamedPrincipal</parameterType>
    <sequenceNumber>1</sequenceNumber>
  </externalCredentialParameters>
  <externalCredentialParameters>
    <parameterGroup>DefaultGroup</parameterGroup>
    <parameterName>Authorization</parameterName>
    <parameterType>AuthHeader</parameterType>
    <parameterValue>Bearer</parameterValue>
    <sequenceNumber>1</sequenceNumber>
  </externalCredentialParameters>
  <label>Demo ESB</label>
</ExternalCredential>
`
  );
}

const principalGrant = (principal: string): string =>
  `  <externalCredentialPrincipalAccesses>\n    <enabled>true</enabled>\n    <externalCredentialPrincipal>${principal}</externalCredentialPrincipal>\n  </externalCredentialPrincipalAccesses>`;

const fieldGrant = (field: string): string =>
  `  <fieldPermissions>\n    <editable>false</editable>\n    <field>${field}</field>\n    <readable>true</readable>\n  </fieldPermissions>`;

/** A field of Demo__c from its `<type>` and the elements after it. */
async function addDemoField(p: FixtureProject, name: string, body: string): Promise<void> {
  await p.write(
    `${DEMO}/objects/Demo__c/fields/${name}.field-meta.xml`,
    `<?xml version="1.0" encoding="UTF-8" ?>
<CustomField ${NS}>
  <fullName>${name}</fullName>
  <label>${name.replace(/__c$/, '')}</label>
${body}
</CustomField>
`
  );
}

/** Demo_Line__c, a child of Demo__c through the master-detail field Demo__c (Lines__r). */
async function addDemoLine(p: FixtureProject): Promise<void> {
  const dir = `${DEMO}/objects/Demo_Line__c`;
  await p.write(
    `${dir}/Demo_Line__c.object-meta.xml`,
    `<?xml version="1.0" encoding="UTF-8" ?>
<CustomObject ${NS}>
  <deploymentStatus>Deployed</deploymentStatus>
  <label>Demo Line</label>
  <nameField>
    <label>Demo Line Name</label>
    <type>Text</type>
  </nameField>
  <pluralLabel>Demo Lines</pluralLabel>
  <sharingModel>ControlledByParent</sharingModel>
</CustomObject>
`
  );
  await p.write(
    `${dir}/fields/Demo__c.field-meta.xml`,
    `<?xml version="1.0" encoding="UTF-8" ?>
<CustomField ${NS}>
  <fullName>Demo__c</fullName>
  <label>Demo</label>
  <referenceTo>Demo__c</referenceTo>
  <relationshipLabel>Lines</relationshipLabel>
  <relationshipName>Lines</relationshipName>
  <type>MasterDetail</type>
</CustomField>
`
  );
}

/** Flow elements, inserted at line 17 of the fixture's flow (its `<description>`). */
const withFlowElements = (elements: string) => (p: FixtureProject) =>
  p.edit(FLOW, '  <description>', `${elements}\n  <description>`);

/** A lookup of every Demo__c (line 17) and a loop over it (line 27). */
const demoLoop = `  <loops>
    <name>Loop_Demos</name>
    <label>Loop Demos</label>
    <locationX>0</locationX>
    <locationY>0</locationY>
    <collectionReference>Get_Demos</collectionReference>
    <iterationOrder>Asc</iterationOrder>
  </loops>
  <recordLookups>
    <name>Get_Demos</name>
    <label>Get Demos</label>
    <locationX>0</locationX>
    <locationY>0</locationY>
    <getFirstRecordOnly>false</getFirstRecordOnly>
    <object>Demo__c</object>
    <storeOutputAutomatically>true</storeOutputAutomatically>
  </recordLookups>`;

/** An assignment (line 17) adding the loop's current item's `field`, at line 23. */
const loopItemAssignment = (field: string): string => `  <assignments>
    <name>Add_Amount</name>
    <label>Add Amount</label>
    <locationX>0</locationX>
    <locationY>0</locationY>
    <assignmentItems>
      <assignToReference>Total</assignToReference>
      <operator>Add</operator>
      <value>
        <elementReference>Loop_Demos.${field}</elementReference>
      </value>
    </assignmentItems>
  </assignments>`;

/** A sort (line 17) of the lookup's records by `sortField` (line 25), then a filter (line 30). */
const collectionProcessors = (
  sortField: string,
  filterField: string
): string => `  <collectionProcessors>
    <name>Sort_Demos</name>
    <label>Sort Demos</label>
    <locationX>0</locationX>
    <locationY>0</locationY>
    <collectionProcessorType>SortCollectionProcessor</collectionProcessorType>
    <collectionReference>Get_Demos</collectionReference>
    <sortOptions>
      <doesPutEmptyStringAndNullFirst>false</doesPutEmptyStringAndNullFirst>
      <sortField>${sortField}</sortField>
      <sortOrder>Desc</sortOrder>
    </sortOptions>
  </collectionProcessors>
  <collectionProcessors>
    <name>Filter_Demos</name>
    <label>Filter Demos</label>
    <locationX>0</locationX>
    <locationY>0</locationY>
    <assignNextValueToReference>currentItem_Filter_Demos</assignNextValueToReference>
    <collectionProcessorType>FilterCollectionProcessor</collectionProcessorType>
    <collectionReference>Sort_Demos</collectionReference>
    <conditionLogic>and</conditionLogic>
    <conditions>
      <leftValueReference>currentItem_Filter_Demos.${filterField}</leftValueReference>
      <operator>GreaterThan</operator>
      <rightValue>
        <numberValue>0.0</numberValue>
      </rightValue>
    </conditions>
  </collectionProcessors>`;

/** A record choice set (line 17) over `object`: display field line 23, filter line 26. */
const choiceSet = (
  object: string,
  display: string,
  filter: string
): string => `  <dynamicChoiceSets>
    <name>Demo_Choices</name>
    <label>Demo Choices</label>
    <locationX>0</locationX>
    <locationY>0</locationY>
    <dataType>String</dataType>
    <displayField>${display}</displayField>
    <filterLogic>and</filterLogic>
    <filters>
      <field>${filter}</field>
      <operator>IsNull</operator>
      <value>
        <booleanValue>false</booleanValue>
      </value>
    </filters>
    <object>${object}</object>
    <sortField>Amount__c</sortField>
    <sortOrder>Asc</sortOrder>
    <valueField>Id</valueField>
  </dynamicChoiceSets>`;

/** A scheduled path on the start element reading `field` (line 52). */
const scheduledPath = (field: string) => (p: FixtureProject) =>
  p.edit(
    FLOW,
    '    <triggerType>',
    `    <scheduledPaths>
      <name>After_Amount</name>
      <connector>
        <targetReference>Default_Amount</targetReference>
      </connector>
      <label>After Amount</label>
      <offsetNumber>1</offsetNumber>
      <offsetUnit>Days</offsetUnit>
      <recordField>${field}</recordField>
      <timeSource>RecordField</timeSource>
    </scheduledPaths>
    <triggerType>`
  );

/** Fields of every type a record value is checked against, on Demo_Setting__mdt. */
async function addSettingFields(p: FixtureProject): Promise<void> {
  const fields: [string, string][] = [
    ['Enabled__c', '<defaultValue>false</defaultValue>\n  <type>Checkbox</type>'],
    ['Starts_On__c', '<type>Date</type>'],
    ['Starts_At__c', '<type>DateTime</type>'],
    ['Code__c', '<length>5</length>\n  <type>Text</type>'],
    ['Rate__c', '<precision>3</precision>\n  <scale>1</scale>\n  <type>Number</type>'],
    [
      'Level__c',
      `<type>Picklist</type>
  <valueSet>
    <restricted>true</restricted>
    <valueSetDefinition>
      <sorted>false</sorted>
      <value>
        <fullName>INFO</fullName>
        <default>true</default>
        <label>INFO</label>
      </value>
      <value>
        <fullName>DEBUG</fullName>
        <default>false</default>
        <label>DEBUG</label>
      </value>
    </valueSetDefinition>
  </valueSet>`
    ]
  ];
  for (const [name, body] of fields) {
    await p.write(
      `${SETTING_TYPE}/fields/${name}.field-meta.xml`,
      `<?xml version="1.0" encoding="UTF-8" ?>
<CustomField ${NS}>
  <fullName>${name}</fullName>
  <label>${name.replace(/__c$/, '')}</label>
  ${body}
</CustomField>
`
    );
  }
}

/** A Demo_Setting record setting `[field, value element]` pairs; the first value on line 7. */
const settingValues = (...values: [string, string][]): string =>
  `<?xml version="1.0" encoding="UTF-8" ?>
<CustomMetadata ${NS} xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema">
  <label>Default</label>
  <protected>false</protected>
${values
  .map(([field, value]) => `  <values>\n    <field>${field}</field>\n    ${value}\n  </values>`)
  .join('\n')}
</CustomMetadata>
`;

/** One broken value of Demo_Setting.Default, on line 7. */
const badValue = (field: string, value: string) => async (p: FixtureProject) => {
  await addSettingType(p);
  await addSettingFields(p);
  await p.write(SETTING_RECORD, settingValues([field, value]));
};

const BUNDLE = `${DEMO}/lwc/demoCard/demoCard.js-meta.xml`;

/** demoCard on record pages of `objects` (the first on line 11). */
const recordPageBundle = (...objects: string[]): string => `<?xml version="1.0" encoding="UTF-8" ?>
<LightningComponentBundle ${NS}>
  <apiVersion>65.0</apiVersion>
  <isExposed>true</isExposed>
  <targets>
    <target>lightning__RecordPage</target>
  </targets>
  <targetConfigs>
    <targetConfig targets="lightning__RecordPage">
      <objects>
${objects.map((o) => `        <object>${o}</object>`).join('\n')}
      </objects>
    </targetConfig>
  </targetConfigs>
</LightningComponentBundle>
`;

interface Case {
  name: string;
  breakIt: (p: FixtureProject) => Promise<void>;
  file: string;
  line: number;
  message: RegExp;
  /** 'error' unless given. */
  severity?: 'warning';
}

const grant = (body: string) => (p: FixtureProject) => p.write(PERMISSION_SET, permissionSet(body));

const CASES: Case[] = [
  {
    name: 'a permission set granting a field that does not exist',
    breakIt: grant(
      `  <fieldPermissions>\n    <editable>false</editable>\n    <field>Demo__c.Missing__c</field>\n    <readable>true</readable>\n  </fieldPermissions>`
    ),
    file: PERMISSION_SET,
    line: 6,
    message: /<fieldPermissions\.field>Demo__c\.Missing__c: no field Missing__c on Demo__c/
  },
  {
    name: 'a permission set granting a custom field a standard object lacks',
    breakIt: grant(
      `  <fieldPermissions>\n    <editable>false</editable>\n    <field>Account.Rating__c</field>\n    <readable>true</readable>\n  </fieldPermissions>`
    ),
    file: PERMISSION_SET,
    line: 6,
    message: /no field Rating__c on Account/
  },
  {
    name: 'a permission set granting an object that does not exist',
    breakIt: grant(
      `  <objectPermissions>\n    <allowRead>true</allowRead>\n    <object>Ghost__c</object>\n  </objectPermissions>`
    ),
    file: PERMISSION_SET,
    line: 6,
    message: /no object Ghost__c/
  },
  {
    name: 'a permission set showing a tab that does not exist',
    breakIt: grant(
      `  <tabSettings>\n    <tab>Ghost__c</tab>\n    <visibility>Visible</visibility>\n  </tabSettings>`
    ),
    file: PERMISSION_SET,
    line: 5,
    message: /no CustomTab Ghost__c in the project/
  },
  {
    name: 'a permission set granting a class that does not exist',
    breakIt: grant(
      `  <classAccesses>\n    <apexClass>GhostService</apexClass>\n    <enabled>true</enabled>\n  </classAccesses>`
    ),
    file: PERMISSION_SET,
    line: 5,
    message: /no ApexClass GhostService in the project/
  },
  {
    name: 'a permission set enabling an External Credential principal that does not exist',
    breakIt: async (p) => {
      await addExternalCredential(p);
      await p.write(PERMISSION_SET, permissionSet(principalGrant('Demo_ESB-ESBX')));
    },
    file: PERMISSION_SET,
    line: 6,
    message:
      /<externalCredentialPrincipalAccesses\.externalCredentialPrincipal>Demo_ESB-ESBX: no ExternalCredentialPrincipal Demo_ESB-ESBX/
  },
  {
    name: 'a permission set enabling the auth-header parameter as if it were a principal',
    breakIt: async (p) => {
      await addExternalCredential(p);
      await p.write(PERMISSION_SET, permissionSet(principalGrant('Demo_ESB-Authorization')));
    },
    file: PERMISSION_SET,
    line: 6,
    message: /no ExternalCredentialPrincipal Demo_ESB-Authorization/
  },
  {
    name: 'a permission set granting field access on a required field',
    breakIt: async (p) => {
      await addDemoField(
        p,
        'Code__c',
        '  <length>20</length>\n  <required>true</required>\n  <type>Text</type>'
      );
      await p.write(PERMISSION_SET, permissionSet(fieldGrant('Demo__c.Code__c')));
    },
    file: PERMISSION_SET,
    line: 6,
    message: /You cannot deploy to a required field: Demo__c\.Code__c is a required field/
  },
  {
    name: 'a permission set granting field access on a master-detail field',
    breakIt: async (p) => {
      await addDemoLine(p);
      await p.write(PERMISSION_SET, permissionSet(fieldGrant('Demo_Line__c.Demo__c')));
    },
    file: PERMISSION_SET,
    line: 6,
    message: /Demo_Line__c\.Demo__c is a master-detail field/
  },
  {
    name: 'a profile granting a field that does not exist and assigning a missing layout',
    breakIt: (p) =>
      p.write(
        PROFILE,
        `<?xml version="1.0" encoding="UTF-8" ?>
<Profile ${NS}>
  <custom>true</custom>
  <fieldPermissions>
    <editable>false</editable>
    <field>Demo__c.Gone__c</field>
    <readable>true</readable>
  </fieldPermissions>
  <layoutAssignments>
    <layout>Demo__c-Ghost Layout</layout>
  </layoutAssignments>
  <userLicense>Salesforce</userLicense>
</Profile>
`
      ),
    file: PROFILE,
    line: 6,
    message: /no field Gone__c on Demo__c/
  },
  {
    name: 'a flow assigning a record field that does not exist',
    breakIt: (p) => p.edit(FLOW, '$Record.Amount__c', '$Record.Amount_Due__c'),
    file: FLOW,
    line: 10,
    message: /<assignToReference>\$Record\.Amount_Due__c: no field Amount_Due__c on Demo__c/
  },
  {
    name: 'a flow start element filtering on a field that does not exist',
    breakIt: (p) => p.edit(FLOW, '<field>Amount__c</field>', '<field>Amount_Old__c</field>'),
    file: FLOW,
    line: 36,
    message: /<start\.filters\.field>Amount_Old__c/
  },
  {
    name: 'a flow start element on an object that does not exist',
    breakIt: (p) => p.edit(FLOW, '<object>Demo__c</object>', '<object>Demos__c</object>'),
    file: FLOW,
    line: 42,
    message: /<start\.object>Demos__c: no object Demos__c/
  },
  {
    name: 'a flow record lookup filtering and reading fields that do not exist',
    breakIt: (p) =>
      p.edit(
        FLOW,
        '  <description>',
        `  <recordLookups>
    <name>Find_Demo</name>
    <label>Find Demo</label>
    <locationX>0</locationX>
    <locationY>0</locationY>
    <filters>
      <field>Status__c</field>
      <operator>EqualTo</operator>
      <value>
        <stringValue>Open</stringValue>
      </value>
    </filters>
    <getFirstRecordOnly>true</getFirstRecordOnly>
    <object>Demo__c</object>
    <queriedFields>Id</queriedFields>
    <storeOutputAutomatically>true</storeOutputAutomatically>
  </recordLookups>
  <description>`
      ),
    file: FLOW,
    line: 23,
    message: /<recordLookups\.filters\.field>Status__c: no field Status__c on Demo__c/
  },
  {
    name: 'a flow record update writing a field that does not exist',
    breakIt: (p) =>
      p.edit(
        FLOW,
        '  <description>',
        `  <recordUpdates>
    <name>Touch_Demo</name>
    <label>Touch Demo</label>
    <locationX>0</locationX>
    <locationY>0</locationY>
    <inputAssignments>
      <field>Touched__c</field>
      <value>
        <booleanValue>true</booleanValue>
      </value>
    </inputAssignments>
    <inputReference>$Record</inputReference>
  </recordUpdates>
  <description>`
      ),
    file: FLOW,
    line: 23,
    message: /<recordUpdates\.inputAssignments\.field>Touched__c/
  },
  {
    name: 'a flow scheduled path timed on a field that does not exist',
    breakIt: scheduledPath('Due_Date__c'),
    file: FLOW,
    line: 52,
    message: /<scheduledPaths\.recordField>Due_Date__c: no field Due_Date__c on Demo__c/
  },
  {
    name: "a flow reading a field a loop's current item lacks",
    breakIt: withFlowElements(`${loopItemAssignment('Bogus__c')}\n${demoLoop}`),
    file: FLOW,
    line: 26,
    message: /<elementReference>Loop_Demos\.Bogus__c: no field Bogus__c on Demo__c/
  },
  {
    name: 'a flow sorting a collection by a field that does not exist',
    breakIt: withFlowElements(`${collectionProcessors('Bogus__c', 'Amount__c')}\n${demoLoop}`),
    file: FLOW,
    line: 26,
    message: /<collectionProcessors\.sortOptions\.sortField>Bogus__c: no field Bogus__c/
  },
  {
    name: 'a flow filtering a collection on a field its current item lacks',
    breakIt: withFlowElements(`${collectionProcessors('Amount__c', 'Bogus__c')}\n${demoLoop}`),
    file: FLOW,
    line: 40,
    message: /<leftValueReference>currentItem_Filter_Demos\.Bogus__c: no field Bogus__c/
  },
  {
    name: 'a flow choice set displaying a field that does not exist',
    breakIt: withFlowElements(choiceSet('Demo__c', 'Label__c', 'Amount__c')),
    file: FLOW,
    line: 23,
    message: /<dynamicChoiceSets\.displayField>Label__c: no field Label__c on Demo__c/
  },
  {
    name: 'a flow choice set filtering on a field that does not exist',
    breakIt: withFlowElements(choiceSet('Demo__c', 'Name', 'Bogus__c')),
    file: FLOW,
    line: 26,
    message: /<dynamicChoiceSets\.filters\.field>Bogus__c/
  },
  {
    name: 'a flow choice set over an object that does not exist',
    breakIt: withFlowElements(choiceSet('Demos__c', 'Name', 'Amount__c')),
    file: FLOW,
    line: 32,
    message: /<dynamicChoiceSets\.object>Demos__c: no object Demos__c/
  },
  {
    name: 'a list view showing a field that does not exist',
    breakIt: (p) => p.write(LIST_VIEW, listView('Total__c')),
    file: LIST_VIEW,
    line: 5,
    message: /<columns>Total__c: no field Total__c on Demo__c/
  },
  {
    name: 'a list view showing an unknown upper-case Account column (warning)',
    breakIt: (p) => p.write(ACCOUNT_LIST_VIEW, accountListView('ACCOUNT.SAP_NUMBER')),
    file: ACCOUNT_LIST_VIEW,
    line: 6,
    severity: 'warning',
    message: /<columns>ACCOUNT\.SAP_NUMBER: not a standard column of Account/
  },
  {
    name: 'a list view showing an unknown upper-case custom object column (warning)',
    breakIt: (p) => p.write(LIST_VIEW, listView('TOTAL_AMOUNT')),
    file: LIST_VIEW,
    line: 5,
    severity: 'warning',
    message: /<columns>TOTAL_AMOUNT: not a standard column of Demo__c/
  },
  {
    name: 'a layout with a standard related list the object does not have',
    breakIt: (p) => p.write(LAYOUT, layout('Amount__c', relatedLists('RelatedBogusList'))),
    file: LAYOUT,
    line: 16,
    message: /<relatedList>RelatedBogusList: no child relationship RelatedBogusList on Demo__c/
  },
  {
    name: 'a layout with a related list through a field that does not look the object up',
    breakIt: async (p) => {
      await addDemoLine(p);
      await p.write(LAYOUT, layout('Amount__c', relatedLists('Demo_Line__c.Name')));
    },
    file: LAYOUT,
    line: 16,
    message: /<relatedList>Demo_Line__c\.Name: no child relationship/
  },
  {
    name: 'a record page with a related list the object does not have',
    breakIt: async (p) => {
      await addDemoLine(p);
      await p.write(FLEXIPAGE, flexipage('Amount__c', relatedListComponent('Linez__r')));
    },
    file: FLEXIPAGE,
    line: 14,
    message: /<relatedListApiName>Linez__r: no child relationship Linez__r on Demo__c/
  },
  {
    name: 'a layout placing a field that does not exist',
    breakIt: (p) => p.write(LAYOUT, layout('Total__c')),
    file: LAYOUT,
    line: 8,
    message: /<layoutItems\.field>Total__c: no field Total__c on Demo__c/
  },
  {
    name: 'a record page showing a field that does not exist',
    breakIt: (p) => p.write(FLEXIPAGE, flexipage('Total__c')),
    file: FLEXIPAGE,
    line: 6,
    message: /<fieldItem>Total__c: no field Total__c on Demo__c/
  },
  {
    name: 'a custom metadata record setting a field its type lacks',
    breakIt: async (p) => {
      await addSettingType(p);
      await p.write(SETTING_RECORD, settingRecord('Limits__c'));
    },
    file: SETTING_RECORD,
    line: 6,
    message: /<values\.field>Limits__c: no field Limits__c on Demo_Setting__mdt/
  },
  {
    name: 'a custom metadata record giving a Number field a word',
    breakIt: badValue('Limit__c', '<value xsi:type="xsd:double">thirty</value>'),
    file: SETTING_RECORD,
    line: 7,
    message: /<value>thirty: Demo_Setting__mdt\.Limit__c: "thirty" is not a number/
  },
  {
    name: 'a custom metadata record writing a Number value as a string',
    breakIt: badValue('Limit__c', '<value xsi:type="xsd:string">30</value>'),
    file: SETTING_RECORD,
    line: 7,
    message: /a double field takes xsi:type="xsd:double", not "xsd:string"/
  },
  {
    name: 'a custom metadata record with more integer digits than the field holds',
    breakIt: badValue('Rate__c', '<value xsi:type="xsd:double">123.5</value>'),
    file: SETTING_RECORD,
    line: 7,
    message: /"123\.5" has 3 digits before the decimal point; the field holds 2/
  },
  {
    name: 'a custom metadata record giving a Checkbox something other than true or false',
    breakIt: badValue('Enabled__c', '<value xsi:type="xsd:boolean">yes</value>'),
    file: SETTING_RECORD,
    line: 7,
    message: /"yes" is not true or false/
  },
  {
    name: 'a custom metadata record giving a Date field an impossible date',
    breakIt: badValue('Starts_On__c', '<value xsi:type="xsd:date">2026-02-30</value>'),
    file: SETTING_RECORD,
    line: 7,
    message: /"2026-02-30" is not a date/
  },
  {
    name: 'a custom metadata record giving a Date/Time field a date alone',
    breakIt: badValue('Starts_At__c', '<value xsi:type="xsd:dateTime">2026-02-01</value>'),
    file: SETTING_RECORD,
    line: 7,
    message: /"2026-02-01" is not a date and time/
  },
  {
    name: 'a custom metadata record with text longer than the field',
    breakIt: badValue('Code__c', '<value xsi:type="xsd:string">TOOLONG</value>'),
    file: SETTING_RECORD,
    line: 7,
    message: /7 characters; the field holds 5/
  },
  {
    name: 'a custom metadata record with a value its picklist lacks',
    breakIt: badValue('Level__c', '<value xsi:type="xsd:string">TRACE</value>'),
    file: SETTING_RECORD,
    line: 7,
    message: /"TRACE" is not a value of the picklist \(INFO, DEBUG\)/
  },
  {
    name: 'an LWC limited to record pages of an object that does not exist',
    breakIt: (p) => p.write(BUNDLE, recordPageBundle('Demo__c', 'Demos__c')),
    file: BUNDLE,
    line: 12,
    message: /<targetConfig\.objects\.object>Demos__c: no object Demos__c/
  },
  {
    name: 'a custom metadata record of a type that does not exist',
    breakIt: (p) => p.write(SETTING_RECORD, settingRecord('Limit__c')),
    file: SETTING_RECORD,
    line: 2,
    message: /no object Demo_Setting__mdt/
  }
];

async function findingsOf(
  p: FixtureProject,
  severity: 'error' | 'warning' = 'error'
): Promise<Finding[]> {
  const ws = await loadWorkspace(p.dir, TOOL_ROOT);
  return (await checkReferences(ws)).findings.filter((f) => f.severity === severity);
}

describe('references: permission sets, profiles, flows, list views, layouts, pages, records', () => {
  it('passes valid metadata of every kind', async () => {
    const p = await FixtureProject.create('refs-meta-valid');
    try {
      await addExternalCredential(p);
      // A checkbox is never nillable, yet takes field permissions; so does an optional field.
      await addDemoField(
        p,
        'Flag__c',
        '  <defaultValue>false</defaultValue>\n  <type>Checkbox</type>'
      );
      await p.write(
        PERMISSION_SET,
        permissionSet(
          [validGrants, principalGrant('Demo_ESB-ESB'), fieldGrant('Demo__c.Flag__c')].join('\n')
        )
      );
      await scheduledPath('Amount__c')(p);
      await withFlowElements(
        [
          loopItemAssignment('Amount__c'),
          collectionProcessors('Amount__c', 'Amount__c'),
          choiceSet('Demo__c', 'Name', 'Amount__c'),
          demoLoop
        ].join('\n')
      )(p);
      await p.write(LIST_VIEW, listView('Amount__c'));
      await p.write(BUNDLE, recordPageBundle('Demo__c', 'Account'));
      await p.write(ACCOUNT_LIST_VIEW, accountListView('ACCOUNT.ADDRESS1_STATE'));
      await p.write(CUSTOM_COLUMNS_LIST_VIEW, customColumnsListView);
      await addDemoLine(p);
      await p.write(LAYOUT, layout('Amount__c', relatedLists('Demo_Line__c.Demo__c')));
      await p.write(
        FLEXIPAGE,
        flexipage('Amount__c', relatedListComponent('Lines__r') + relatedListComponent('Histories'))
      );
      await addSettingType(p);
      await addSettingFields(p);
      await p.write(
        SETTING_RECORD,
        settingValues(
          ['Limit__c', '<value xsi:type="xsd:double">5.0</value>'],
          ['Rate__c', '<value xsi:type="xsd:double">-12.5</value>'],
          ['Enabled__c', '<value xsi:type="xsd:boolean">true</value>'],
          ['Starts_On__c', '<value xsi:type="xsd:date">2024-02-29</value>'],
          ['Starts_At__c', '<value xsi:type="xsd:dateTime">2026-02-01T09:30:00.000Z</value>'],
          ['Code__c', '<value xsi:type="xsd:string">AB123</value>'],
          ['Level__c', '<value xsi:type="xsd:string">DEBUG</value>'],
          ['Code__c', '<value xsi:nil="true"/>']
        )
      );
      assert.deepEqual(await findingsOf(p), []);
      assert.deepEqual(await findingsOf(p, 'warning'), []);
    } finally {
      await p.dispose();
    }
  });

  for (const defect of CASES) {
    it(`catches ${defect.name}`, async () => {
      const p = await FixtureProject.create('refs-meta');
      try {
        await defect.breakIt(p);
        const errors = await findingsOf(p, defect.severity);
        const hit = errors.find(
          (f) => f.file === defect.file && f.line === defect.line && defect.message.test(f.message)
        );
        assert.ok(
          hit,
          `expected ${defect.message} at ${defect.file}:${defect.line}; got ${JSON.stringify(errors, null, 1)}`
        );
      } finally {
        await p.dispose();
      }
    });
  }
});
