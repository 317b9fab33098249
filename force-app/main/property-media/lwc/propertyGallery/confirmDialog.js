import LightningConfirm from 'lightning/confirm';
/** Asks the user to confirm with the platform's modal; true only for an explicit OK. */
export async function confirmAction(options) {
    const answer = await LightningConfirm.open(options);
    return answer === true;
}
