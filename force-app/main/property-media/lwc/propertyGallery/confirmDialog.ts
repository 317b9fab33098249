import LightningConfirm from 'lightning/confirm';

/** What LightningConfirm.open takes. */
export interface ConfirmOptions {
  label: string;
  message: string;
  variant?: 'header' | 'headerless';
  theme?: 'default' | 'warning' | 'error';
}

/** LightningConfirm's static `open`, which @salesforce/lightning-types does not declare. */
type Openable = { open(options: ConfirmOptions): Promise<boolean | undefined> };

/** Asks the user to confirm with the platform's modal; true only for an explicit OK. */
export async function confirmAction(options: ConfirmOptions): Promise<boolean> {
  const answer = await (LightningConfirm as unknown as Openable).open(options);
  return answer === true;
}
