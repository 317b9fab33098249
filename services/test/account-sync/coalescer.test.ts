import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { coalesce } from '../../src/account-sync/coalescer.ts';

const A = '001000000000001AAA';
const B = '001000000000002AAA';

describe('coalescer', () => {
  it('collapses duplicates and redeliveries to one change per account, in first-seen order', () => {
    const changes = coalesce([
      { accountId: A, operation: 'Create', changedAt: 1 },
      { accountId: B, operation: 'Create', changedAt: 2 },
      { accountId: A, operation: 'Create', changedAt: 1 },
      { accountId: A, operation: 'Update', changedAt: 3 }
    ]);
    assert.deepEqual(
      changes.map((c) => [c.accountId, c.action, c.events, c.changedAt]),
      [
        [A, 'upsert', 3, 3],
        [B, 'upsert', 1, 2]
      ]
    );
  });

  it('a Delete after a Create wins and keeps any SAP number seen', () => {
    const [change] = coalesce([
      { accountId: A, operation: 'Update', sapNumber: '1000001' },
      { accountId: A, operation: 'Delete' }
    ]);
    assert.equal(change?.action, 'delete');
    assert.equal(change?.sapNumber, '1000001');
  });

  it('an upsert after a Delete (undelete) is an upsert', () => {
    const [change] = coalesce([
      { accountId: A, operation: 'Delete', sapNumber: '1000001' },
      { accountId: A, operation: 'Update' }
    ]);
    assert.equal(change?.action, 'upsert');
  });

  it('treats 15- and 18-character ids of one account as the same account', () => {
    const changes = coalesce([
      { accountId: A.slice(0, 15), operation: 'Update' },
      { accountId: A, operation: 'Update' }
    ]);
    assert.equal(changes.length, 1);
    assert.equal(changes[0]?.accountId, A);
  });
});
