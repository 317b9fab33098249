/**
 * Activities and the older record attachments, as the Object Reference for the Salesforce
 * Platform describes them: Task and Event (WhoId a Contact or Lead, WhatId a record of an object
 * with activities), Note and Attachment (ParentId any record). Integrations log calls and
 * emails as Tasks and attach documents to records; all of them go when their record is deleted.
 * Which objects WhatId and ParentId reach depends on the org: the loader fills them in
 * (OPEN_REFERENCES).
 */
import type { FieldDescribe } from './model.ts';
import type { StandardObjectSpec } from './catalogue-fields.ts';
import {
  CREATE_ONLY,
  picklist,
  READ_ONLY,
  reference,
  REQUIRED,
  text,
  textArea,
  typed,
  values
} from './catalogue-fields.ts';

/** Who and what an activity is about; `plural` names the relationship on those records. */
function whoAndWhat(plural: 'Tasks' | 'Events'): FieldDescribe[] {
  return [
    reference('WhoId', ['Contact', 'Lead'], 'Who', {
      label: 'Name ID',
      childRelationshipName: plural,
      deleteConstraint: 'Cascade'
    }),
    reference('WhatId', [], 'What', {
      label: 'Related To ID',
      childRelationshipName: plural,
      deleteConstraint: 'Cascade'
    })
  ];
}

const REMINDER = [
  typed('IsReminderSet', 'boolean', { label: 'Reminder Set' }),
  typed('ReminderDateTime', 'datetime', { label: 'Reminder Date/Time' })
];

const ACTIVITY_TYPES = ['Call', 'Email', 'Meeting', 'Other'];

/** The record a note or attachment belongs to: set on create, never moved. */
const parent = (plural: 'Notes' | 'Attachments'): FieldDescribe =>
  reference('ParentId', [], 'Parent', {
    ...CREATE_ONLY,
    ...REQUIRED,
    label: 'Parent ID',
    childRelationshipName: plural,
    deleteConstraint: 'Cascade'
  });

export const ACTIVITY_OBJECTS: StandardObjectSpec[] = [
  {
    name: 'Task',
    label: 'Task',
    labelPlural: 'Tasks',
    keyPrefix: '00T',
    ownerTo: ['Group', 'User'],
    fields: [
      ...whoAndWhat('Tasks'),
      text('Subject', 255, { nameField: true }),
      typed('ActivityDate', 'date', { label: 'Due Date Only' }),
      picklist(
        'Status',
        values('Not Started|In Progress|Completed|Waiting on someone else|Deferred'),
        { ...REQUIRED, preselected: 'Not Started' }
      ),
      picklist('Priority', ['High', 'Normal', 'Low'], { ...REQUIRED, preselected: 'Normal' }),
      typed('IsHighPriority', 'boolean', { ...READ_ONLY, label: 'High Priority' }),
      textArea('Description', 32000),
      picklist('Type', ACTIVITY_TYPES),
      typed('IsClosed', 'boolean', { ...READ_ONLY, label: 'Closed' }),
      typed('CallDurationInSeconds', 'int', { precision: 9, label: 'Call Duration' }),
      picklist('CallType', ['Internal', 'Inbound', 'Outbound'], { label: 'Call Type' }),
      text('CallDisposition', 255, { label: 'Call Result' }),
      text('CallObject', 255, { label: 'Call Object Identifier' }),
      ...REMINDER,
      picklist('TaskSubtype', values('Task|Email|ListEmail|Cadence|Call|LinkedIn'), {
        ...CREATE_ONLY,
        label: 'Task Subtype'
      }),
      typed('CompletedDateTime', 'datetime', { ...READ_ONLY, label: 'Completed Date/Time' })
    ]
  },
  {
    name: 'Event',
    label: 'Event',
    labelPlural: 'Events',
    keyPrefix: '00U',
    ownerTo: ['User'],
    fields: [
      ...whoAndWhat('Events'),
      text('Subject', 255, { nameField: true }),
      text('Location', 255),
      typed('IsAllDayEvent', 'boolean', { label: 'All-Day Event' }),
      typed('ActivityDateTime', 'datetime', { label: 'Due Date Time' }),
      typed('ActivityDate', 'date', { label: 'Due Date Only' }),
      typed('DurationInMinutes', 'int', { precision: 8, label: 'Duration' }),
      typed('StartDateTime', 'datetime', { label: 'Start Date Time' }),
      typed('EndDateTime', 'datetime', { label: 'End Date Time' }),
      typed('EndDate', 'date', { ...READ_ONLY, label: 'End Date Only' }),
      textArea('Description', 32000),
      picklist('Type', ACTIVITY_TYPES),
      typed('IsPrivate', 'boolean', { label: 'Private' }),
      picklist('ShowAs', ['Busy', 'OutOfOffice', 'Free'], {
        label: 'Show Time As',
        preselected: 'Busy'
      }),
      ...REMINDER,
      picklist('EventSubtype', ['Event'], { ...CREATE_ONLY, label: 'Event Subtype' })
    ]
  },
  {
    name: 'Note',
    label: 'Note',
    labelPlural: 'Notes',
    keyPrefix: '002',
    ownerTo: ['User'],
    fields: [
      parent('Notes'),
      text('Title', 80, { ...REQUIRED, nameField: true }),
      typed('IsPrivate', 'boolean', { label: 'Private' }),
      textArea('Body', 32000)
    ]
  },
  {
    name: 'Attachment',
    label: 'Attachment',
    labelPlural: 'Attachments',
    keyPrefix: '00P',
    ownerTo: ['User'],
    fields: [
      parent('Attachments'),
      text('Name', 255, { ...REQUIRED, label: 'File Name' }),
      typed('IsPrivate', 'boolean', { label: 'Private' }),
      text('ContentType', 120, { label: 'Content Type' }),
      typed('BodyLength', 'int', { ...READ_ONLY, precision: 18, label: 'Body Length' }),
      typed('Body', 'base64', REQUIRED),
      textArea('Description', 500)
    ]
  }
];
