import { createElement } from 'lwc';
import { createApexTestWireAdapter } from '@salesforce/sfdx-lwc-jest';
import IntegrationLogList, { errorMessageOf } from 'c/integrationLogList';
import getLogsForRecord from '@salesforce/apex/IntegrationLogController.getLogsForRecord';
import { refreshApex } from '@salesforce/apex';

jest.mock(
  '@salesforce/apex/IntegrationLogController.getLogsForRecord',
  () => {
    const lwcJest = require('@salesforce/sfdx-lwc-jest');
    return { default: lwcJest.createApexTestWireAdapter(jest.fn()) };
  },
  { virtual: true }
);
jest.mock('@salesforce/apex', () => ({ refreshApex: jest.fn(() => Promise.resolve()) }), {
  virtual: true
});

type TestWireAdapter = ReturnType<typeof createApexTestWireAdapter>;
const wire = getLogsForRecord as unknown as TestWireAdapter;

const LOGS: Apex.IntegrationLogView[] = [
  {
    id: 'a01000000000001AAA',
    name: 'LOG-0000002',
    reference: '6f1c2d6e-2f0b-4f53-9d0e-3b1f7f0a9c11',
    source: 'AccountSync',
    severity: 'ERROR',
    message: 'SAP rejected the customer: VAT number invalid',
    loggedAt: '2026-11-29T03:00:00.000Z'
  },
  {
    id: 'a01000000000002AAA',
    name: 'LOG-0000001',
    reference: '0b9d7c1a-57a4-4b8e-8d57-1c1f7e3f2a20',
    source: 'AccountSync',
    severity: 'INFO',
    message: 'Customer 1000042 created',
    loggedAt: '2026-11-29T02:59:00.000Z'
  }
];

function mount(): HTMLElement & { recordId?: string; maxRows?: number } {
  const element = createElement('c-integration-log-list', { is: IntegrationLogList });
  Object.assign(element, { recordId: '001000000000001AAA', maxRows: 5 });
  document.body.appendChild(element);
  return element;
}

async function flush(): Promise<void> {
  await Promise.resolve();
  await Promise.resolve();
}

describe('c-integration-log-list', () => {
  afterEach(() => {
    while (document.body.firstChild) document.body.removeChild(document.body.firstChild);
    jest.clearAllMocks();
  });

  it('asks the wire for the page record and the configured number of rows', async () => {
    mount();
    await flush();
    expect(wire.getLastConfig()).toEqual({ recordId: '001000000000001AAA', maxRows: 5 });
  });

  it('lists entries newest first with their reference and a severity badge', async () => {
    const element = mount();
    wire.emit(LOGS);
    await flush();
    const root = element.shadowRoot!;
    const references = [...root.querySelectorAll('.reference')].map((n) => n.textContent);
    expect(references).toEqual(LOGS.map((l) => l.reference));
    const badges = [...root.querySelectorAll('.entry span[class*="slds-badge"]')];
    expect(badges[0]!.className).toContain('slds-theme_error');
    expect(badges[1]!.className).not.toContain('slds-theme_error');
    expect(root.querySelector<HTMLElement>('lightning-card')!.title).toBe('Integration Logs (2)');
    expect(root.querySelector('.empty')).toBeNull();
  });

  it('says so when the record has no integration activity', async () => {
    const element = mount();
    wire.emit([]);
    await flush();
    const root = element.shadowRoot!;
    expect(root.querySelector('.empty')!.textContent).toContain('No integration activity');
    expect(root.querySelectorAll('.entry')).toHaveLength(0);
    expect(root.querySelector<HTMLElement>('lightning-card')!.title).toBe('Integration Logs');
  });

  it('shows the server message when loading fails', async () => {
    const element = mount();
    wire.emit(LOGS);
    await flush();
    wire.error({ message: 'Insufficient access to Integration_Log__c' });
    await flush();
    const root = element.shadowRoot!;
    const alert = root.querySelector('.error')!;
    expect(alert.getAttribute('role')).toBe('alert');
    expect(alert.textContent).toContain('Insufficient access to Integration_Log__c');
    expect(root.querySelectorAll('.entry')).toHaveLength(0);
  });

  it('refreshes the wired result and disables the button meanwhile', async () => {
    let finish: () => void = () => undefined;
    (refreshApex as jest.Mock).mockImplementationOnce(
      () => new Promise<void>((resolve) => (finish = resolve))
    );
    const element = mount();
    wire.emit(LOGS);
    await flush();
    const button = element.shadowRoot!.querySelector('lightning-button-icon') as HTMLElement & {
      disabled: boolean;
    };
    button.click();
    await flush();
    expect(refreshApex).toHaveBeenCalledTimes(1);
    expect(button.disabled).toBe(true);
    finish();
    await flush();
    expect(button.disabled).toBe(false);
  });
});

describe('errorMessageOf', () => {
  it('reads single, list and plain error shapes', () => {
    expect(errorMessageOf({ body: { message: 'one' } })).toBe('one');
    expect(errorMessageOf({ body: [{ message: 'a' }, { message: 'b' }] })).toBe('a, b');
    expect(errorMessageOf({ message: 'network' })).toBe('network');
    expect(errorMessageOf(undefined)).toBe('Unknown error');
  });
});
