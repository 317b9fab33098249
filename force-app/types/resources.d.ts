/*
 * Platform modules resolved at deploy time rather than shipped in a package: static resource URLs
 * and the running user's i18n settings (sfdx-lwc-jest stands them in with defaults).
 */

/** Chart.js, vendored as a static resource (force-app/main/activity/staticresources/ChartJs.js). */
declare module '@salesforce/resourceUrl/ChartJs' {
  const url: string;
  export default url;
}

/** The running user's locale, e.g. `en-US`. */
declare module '@salesforce/i18n/locale' {
  const locale: string;
  export default locale;
}
