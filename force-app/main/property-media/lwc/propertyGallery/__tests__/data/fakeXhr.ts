/**
 * A stand-in for the browser's XMLHttpRequest, the boundary where the gallery hands bytes to
 * storage: jsdom has no storage to PUT to. It records what the component sent (method, URL,
 * headers, body) and lets a test play storage's side: upload progress, an HTTP status, a
 * network failure.
 */
export class FakeXhr {
  static instances: FakeXhr[] = [];

  method = '';
  url = '';
  headers: Record<string, string> = {};
  body: unknown = undefined;
  sent = false;
  status = 0;
  upload: { onprogress: ((event: ProgressEvent) => void) | null } = { onprogress: null };
  onload: (() => void) | null = null;
  onerror: (() => void) | null = null;
  onabort: (() => void) | null = null;
  ontimeout: (() => void) | null = null;

  constructor() {
    FakeXhr.instances.push(this);
  }

  open(method: string, url: string): void {
    this.method = method;
    this.url = url;
  }

  setRequestHeader(name: string, value: string): void {
    this.headers[name] = value;
  }

  send(body: unknown): void {
    this.body = body;
    this.sent = true;
  }

  /** Storage has received `loaded` of `total` bytes. */
  progress(loaded: number, total: number, lengthComputable = true): void {
    this.upload.onprogress?.({ lengthComputable, loaded, total } as ProgressEvent);
  }

  /** Storage answers with an HTTP status. */
  respond(status: number): void {
    this.status = status;
    this.onload?.();
  }

  /** The request never completes (offline, DNS, CORS refusal). */
  failNetwork(): void {
    this.onerror?.();
  }
}

/** Puts FakeXhr in place of XMLHttpRequest, with no requests recorded yet. */
export function installFakeXhr(): void {
  FakeXhr.instances = [];
  Object.defineProperty(window, 'XMLHttpRequest', {
    value: FakeXhr,
    configurable: true,
    writable: true
  });
}

/** The requests the component has sent so far. */
export function sentRequests(): FakeXhr[] {
  return FakeXhr.instances.filter((x) => x.sent);
}
