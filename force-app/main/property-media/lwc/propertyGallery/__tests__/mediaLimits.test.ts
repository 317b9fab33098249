/*
 * The browser's limits are the media API's: the constants equal `limits` of the
 * PropertyMediaContract static resource, which Apex and the media service are tested against.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { CONTENT_TYPES, MAX_BYTES, MAX_CAPTION_LENGTH } from '../mediaLimits';
import { ACCEPT } from '../imageValidation';

const CONTRACT = path.resolve(__dirname, '../../../staticresources/PropertyMediaContract.json');
const CAPTION_FIELD = path.resolve(
  __dirname,
  '../../../objects/Property_Image__c/fields/Caption__c.field-meta.xml'
);
// Property_Image__c comes with the slice's metadata; until it is in this tree there is nothing
// to compare with, and the test says so by being skipped rather than passing.
const describeWithCaptionField = existsSync(CAPTION_FIELD) ? describe : describe.skip;

const limits = JSON.parse(readFileSync(CONTRACT, 'utf8')).limits as {
  contentTypes: string[];
  maxBytes: number;
};

describe('media limits', () => {
  it('accepts exactly the content types of the contract', () => {
    expect([...CONTENT_TYPES].sort()).toEqual([...limits.contentTypes].sort());
    expect(ACCEPT.split(',').sort()).toEqual([...limits.contentTypes].sort());
  });

  it('caps files at the maxBytes of the contract', () => {
    expect(MAX_BYTES).toBe(limits.maxBytes);
  });
});

describeWithCaptionField('caption limit', () => {
  it('caps captions at the length of Caption__c', () => {
    const xml = readFileSync(CAPTION_FIELD, 'utf8');
    expect(MAX_CAPTION_LENGTH).toBe(Number(/<length>(\d+)<\/length>/.exec(xml)?.[1]));
  });
});
