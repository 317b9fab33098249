import { apexErrorMessage } from 'c/apexErrors';

describe('apexErrorMessage', () => {
  it('reads an AuraHandledException body', () => {
    expect(apexErrorMessage({ body: { message: 'Activity is paused.' } })).toBe(
      'Activity is paused.'
    );
  });

  it('joins the messages of a list of record errors', () => {
    expect(
      apexErrorMessage({ body: [{ message: 'first' }, { message: '' }, { message: 'second' }] })
    ).toBe('first, second');
  });

  it('falls back to the error message, then to the fallback', () => {
    expect(apexErrorMessage(new Error('network down'))).toBe('network down');
    expect(apexErrorMessage(undefined)).toBe('An unexpected error occurred.');
    expect(apexErrorMessage({ body: { message: '' } }, 'Unknown error')).toBe('Unknown error');
  });
});
