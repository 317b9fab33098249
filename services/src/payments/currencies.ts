// ISO 4217 currency codes a card payment may be made in.
//
// Source: the ICU data built into Node.js (`Intl.supportedValuesOf('currency')`), which follows
// CLDR's list of ISO 4217 codes in current use and is updated with every Node.js release (no
// table of our own to keep up to date, no dependency). Historic codes (DEM, VEF...) and the
// codes ISO reserves for testing and "no currency" (XTS, XXX) or precious metals (XAU, XAG...)
// are not in it. Taken out on top: units of account nobody pays a card in (XDR, the IMF's
// special drawing right; XSU, the Sucre). A Node.js built without ICU (`--with-intl=none`)
// has no list: the service then refuses to start rather than accept every code.
//
// Amounts are not converted anywhere: `amountMinor` is in the currency's minor unit (cents for
// AUD, yen for JPY, fils for BHD) and goes to the gateway as is, so no exponent is applied here.
const UNITS_OF_ACCOUNT = new Set(['XDR', 'XSU']);

function loadCurrencies(): ReadonlySet<string> {
  const supported =
    typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('currency') : [];
  const codes = supported.filter((code) => /^[A-Z]{3}$/.test(code) && !UNITS_OF_ACCOUNT.has(code));
  if (codes.length < 100)
    throw new Error(
      `This Node.js has no ISO 4217 currency list (Intl.supportedValuesOf('currency') gave ${codes.length} codes): use a build with full ICU`
    );
  return new Set(codes);
}

export const ISO_4217_CURRENCIES: ReadonlySet<string> = loadCurrencies();

export function isIso4217Currency(code: unknown): code is string {
  return typeof code === 'string' && ISO_4217_CURRENCIES.has(code);
}
