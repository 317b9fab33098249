// Brings the typed `lightning/*` and `@salesforce/*` platform modules into every component.
import '@salesforce/lightning-types';
