// OData errors: { "error": { "code", "message" } } (OData 4.0 JSON format, section 21), with the
// HTTP status the protocol gives each case: 400 a malformed or unknown request, 404 no such
// resource or entity, 501 a valid OData construct this service does not implement, 503 a query
// cancelled by the statement timeout.
export class ODataError extends Error {
  constructor(
    readonly statusCode: 400 | 403 | 404 | 406 | 501 | 503,
    readonly code: string,
    message: string
  ) {
    super(message);
    this.name = 'ODataError';
  }
}

export const badRequest = (message: string) => new ODataError(400, 'bad_request', message);
export const notImplemented = (message: string) => new ODataError(501, 'not_implemented', message);
export const notFound = (message: string) => new ODataError(404, 'not_found', message);
