/*
 * Types of the Apex methods LWCs import. The platform provides `@salesforce/apex/*` modules at
 * run time; these declarations mirror each @AuraEnabled signature so `tsc` checks the calls.
 * The gate's lwc-apex check verifies every imported method exists and is @AuraEnabled; its
 * apex-types check compares every declaration here with the Apex: parameter names and types,
 * return type, and each `Apex.<Class>` interface with the class's @AuraEnabled fields. A
 * parameter may be optional only if its ApexDoc @param says it accepts null; where ApexDoc says a
 * result or field may be null, the type must admit null (docs/verification-gate.md).
 */

declare namespace Apex {
  /** The error an Apex call rejects with, or a wire delivers. */
  interface Error {
    body?: { message?: string } | { message?: string }[];
    message?: string;
    status?: number;
    statusText?: string;
  }

  /** What an Apex wire delivers: data or error, neither while loading. */
  interface WireResult<T> {
    data?: T;
    error?: Error;
  }

  /**
   * An imported @AuraEnabled method: callable imperatively and, when cacheable, usable with
   * `@wire` (whose adapter delivers a WireResult).
   */
  type Method<Params, Result> = ((params: Params) => Promise<Result>) &
    import('lwc').WireAdapterConstructor<Params, WireResult<Result>>;

  /** IntegrationLogView.cls: one integration log entry as the UI sees it. */
  interface IntegrationLogView {
    id: string;
    name: string;
    reference: string;
    source: string;
    severity: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'FATAL';
    correlationId?: string;
    recordId?: string;
    message?: string;
    loggedAt?: string;
  }
}

declare module '@salesforce/apex/IntegrationLogController.getLogsForRecord' {
  const getLogsForRecord: Apex.Method<
    { recordId: string; maxRows?: number },
    Apex.IntegrationLogView[]
  >;
  export default getLogsForRecord;
}

declare module '@salesforce/apex/IntegrationLogController.getLogByReference' {
  const getLogByReference: Apex.Method<{ reference: string }, Apex.IntegrationLogView | null>;
  export default getLogByReference;
}

declare module '@salesforce/apex' {
  /** Re-runs the Apex method behind a wired result and re-delivers its value. */
  export function refreshApex(wiredResult: Apex.WireResult<unknown>): Promise<void>;
}

declare namespace Apex {
  /** PaymentController.InvoiceView: the invoice a portal user pays (amount from the record). */
  interface InvoiceView {
    invoiceId: string;
    invoiceNumber: string;
    amount: number;
    currencyCode: string;
    status: 'Open' | 'Paid';
    /** The gateway's tokenization endpoint the browser posts the card to. */
    tokenizationUrl: string;
    /** The public merchant code the tokenization endpoint expects in X-Merchant-Code. */
    merchantCode: string;
  }

  /** PaymentController.PaymentStart: the Pending Payment__c created for one attempt. */
  interface PaymentStart {
    paymentId: string;
    idempotencyKey: string;
  }

  /** PaymentController.PaymentView: what the payer sees of the ESB's answer to `pay`. */
  interface PaymentView {
    status: 'Authorised' | 'Declined' | 'Error' | 'Unknown';
    transactionId: string | null;
    cardBrand: string | null;
    cardLast4: string | null;
    /** A fixed text per status; never contains the log reference. */
    message: string;
    /** Support reference for Error and Unknown: the LWC shows it, once. */
    logReference: string | null;
  }
}

declare module '@salesforce/apex/PaymentController.getInvoice' {
  const getInvoice: Apex.Method<{ invoiceId: string }, Apex.InvoiceView>;
  export default getInvoice;
}

declare module '@salesforce/apex/PaymentController.startPayment' {
  const startPayment: Apex.Method<{ invoiceId: string; paymentToken: string }, Apex.PaymentStart>;
  export default startPayment;
}

declare module '@salesforce/apex/PaymentController.pay' {
  const pay: Apex.Method<{ paymentId: string; paymentToken: string }, Apex.PaymentView>;
  export default pay;
}

declare namespace Apex {
  /**
   * ActivityDashboard.cls: the running user's activity today and over the last 30 days. When
   * `linked` is false nothing else is set (null) and `days` is empty.
   */
  interface ActivityDashboard {
    linked: boolean;
    /** Today in the user's time zone, YYYY-MM-DD. */
    activityDate: string | null;
    /** IANA time zone of the user, e.g. Europe/London. */
    timeZone: string | null;
    steps: number | null;
    /** kcal, one decimal. */
    calories: number | null;
    /** One decimal. */
    activeMinutes: number | null;
    heartRateAverage: number | null;
    heartRateMin: number | null;
    heartRateMax: number | null;
    goalSteps: number | null;
    goalReached: boolean | null;
    /** When today's rollup last changed (ISO 8601, UTC); null before the first reading today. */
    updatedAt: string | null;
    /** Oldest first, today last. */
    days: ActivityDay[];
  }

  /** ActivityDay.cls: one day of the dashboard's 30-day series. */
  interface ActivityDay {
    activityDate: string;
    steps: number;
    calories: number;
    activeMinutes: number;
    heartRateAverage: number | null;
  }
}

declare module '@salesforce/apex/ActivityController.getDashboard' {
  const getDashboard: Apex.Method<Record<string, never>, Apex.ActivityDashboard>;
  export default getDashboard;
}

declare namespace Apex {
  /** PropertyGalleryController.Gallery: a property's images with view URLs valid until expiresAt. */
  interface Gallery {
    /** By Sort_Order__c, then CreatedDate. */
    images: GalleryImage[];
    /** When the view URLs stop working (ISO 8601); null when no image has a URL. */
    expiresAt: string | null;
    /** Whether the running user may upload, reorder, caption and delete. */
    canEdit: boolean;
    /** A message to show above the images (only the first 200 are listed), or null. */
    notice: string | null;
  }

  /** PropertyGalleryController.GalleryImage: one Property_Image__c as the gallery shows it. */
  interface GalleryImage {
    id: string;
    fileName: string;
    contentType: string;
    sizeBytes: number;
    sortOrder: number | null;
    caption: string | null;
    width: number | null;
    height: number | null;
    status: 'Uploading' | 'Available' | 'Failed';
    failureReason: string | null;
    /** Presigned GET of the original; null unless Available. */
    url: string | null;
    /** Presigned GET of the 480 px WebP thumbnail; null when there is none. */
    thumbnailUrl: string | null;
  }

  /** PropertyGalleryController.UploadTicket: the presigned PUT the browser sends the file with. */
  interface UploadTicket {
    imageId: string;
    uploadUrl: string;
    method: string;
    /** Exactly the headers the signature covers (Content-Type, If-None-Match, x-amz-checksum-sha256). */
    headers: Record<string, string>;
    expiresAt: string;
  }
}

declare module '@salesforce/apex/PropertyGalleryController.getImages' {
  const getImages: Apex.Method<{ propertyId: string }, Apex.Gallery>;
  export default getImages;
}

declare module '@salesforce/apex/PropertyGalleryController.requestUpload' {
  const requestUpload: Apex.Method<
    {
      propertyId: string;
      fileName: string;
      contentType: string;
      sizeBytes: number;
      sha256: string;
    },
    Apex.UploadTicket
  >;
  export default requestUpload;
}

declare module '@salesforce/apex/PropertyGalleryController.confirmUpload' {
  const confirmUpload: Apex.Method<{ imageId: string }, Apex.GalleryImage>;
  export default confirmUpload;
}

declare module '@salesforce/apex/PropertyGalleryController.retryUpload' {
  const retryUpload: Apex.Method<{ imageId: string }, Apex.UploadTicket>;
  export default retryUpload;
}

declare module '@salesforce/apex/PropertyGalleryController.reorder' {
  const reorder: Apex.Method<{ propertyId: string; orderedImageIds: string[] }, void>;
  export default reorder;
}

declare module '@salesforce/apex/PropertyGalleryController.setCaption' {
  const setCaption: Apex.Method<{ imageId: string; caption: string }, void>;
  export default setCaption;
}

declare module '@salesforce/apex/PropertyGalleryController.deleteImage' {
  const deleteImage: Apex.Method<{ imageId: string }, void>;
  export default deleteImage;
}
