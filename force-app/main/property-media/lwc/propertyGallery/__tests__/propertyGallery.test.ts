import { createElement } from 'lwc';
import Toast from 'lightning/toast';
import LightningConfirm from 'lightning/confirm';
import PropertyGallery, { messageOf } from 'c/propertyGallery';
import getImages from '@salesforce/apex/PropertyGalleryController.getImages';
import requestUpload from '@salesforce/apex/PropertyGalleryController.requestUpload';
import confirmUpload from '@salesforce/apex/PropertyGalleryController.confirmUpload';
import retryUpload from '@salesforce/apex/PropertyGalleryController.retryUpload';
import reorder from '@salesforce/apex/PropertyGalleryController.reorder';
import setCaption from '@salesforce/apex/PropertyGalleryController.setCaption';
import deleteImage from '@salesforce/apex/PropertyGalleryController.deleteImage';
import { LINK_EXPIRED } from '../uploadJob';
import { REFRESH_MARGIN_MS } from '../galleryFormat';
import {
  EMPTY,
  FAILED,
  FRONT,
  GALLERY,
  KITCHEN,
  NEW_IMAGE_ID,
  NO_THUMBNAIL,
  PROPERTY_ID,
  READ_ONLY,
  apexError,
  confirmed,
  ticket
} from './data/propertyGalleryController';
import { installFakeXhr, sentRequests } from './data/fakeXhr';
import { installWebCrypto } from './data/webCrypto';
import { settle, until } from './data/settle';

jest.mock('@salesforce/apex/PropertyGalleryController.getImages', () => ({ default: jest.fn() }), {
  virtual: true
});
jest.mock(
  '@salesforce/apex/PropertyGalleryController.requestUpload',
  () => ({ default: jest.fn() }),
  { virtual: true }
);
jest.mock(
  '@salesforce/apex/PropertyGalleryController.confirmUpload',
  () => ({ default: jest.fn() }),
  { virtual: true }
);
jest.mock(
  '@salesforce/apex/PropertyGalleryController.retryUpload',
  () => ({ default: jest.fn() }),
  { virtual: true }
);
jest.mock('@salesforce/apex/PropertyGalleryController.reorder', () => ({ default: jest.fn() }), {
  virtual: true
});
jest.mock('@salesforce/apex/PropertyGalleryController.setCaption', () => ({ default: jest.fn() }), {
  virtual: true
});
jest.mock(
  '@salesforce/apex/PropertyGalleryController.deleteImage',
  () => ({ default: jest.fn() }),
  { virtual: true }
);

const getImagesMock = getImages as unknown as jest.Mock;
const requestUploadMock = requestUpload as unknown as jest.Mock;
const confirmUploadMock = confirmUpload as unknown as jest.Mock;
const retryUploadMock = retryUpload as unknown as jest.Mock;
const reorderMock = reorder as unknown as jest.Mock;
const setCaptionMock = setCaption as unknown as jest.Mock;
const deleteImageMock = deleteImage as unknown as jest.Mock;
let toastMock: jest.SpyInstance;
let confirmMock: jest.Mock;

/** SHA-256 of "abc", the content of the test files. */
const ABC_SHA256 = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';

function jpeg(name = 'garden.jpg', content = 'abc'): File {
  return new File([content], name, { type: 'image/jpeg' });
}

async function mount(gallery: Apex.Gallery = GALLERY): Promise<ShadowRoot> {
  getImagesMock.mockResolvedValue(gallery);
  const element = createElement('c-property-gallery', { is: PropertyGallery });
  Object.assign(element, { recordId: PROPERTY_ID });
  document.body.appendChild(element);
  await settle();
  return element.shadowRoot!;
}

function text(root: ParentNode, selector: string): string {
  return root.querySelector(selector)?.textContent?.replace(/\s+/g, ' ').trim() ?? '';
}

function announcement(root: ShadowRoot): string {
  return text(root, '[aria-live="polite"]');
}

function all<T extends Element = HTMLElement>(root: ParentNode, selector: string): T[] {
  return Array.from(root.querySelectorAll<T>(selector));
}

function click(element: Element | null): void {
  element!.dispatchEvent(new CustomEvent('click'));
}

function tileIds(root: ShadowRoot): string[] {
  return all(root, 'li.tile').map((li) => li.dataset.id!);
}

function button(root: ShadowRoot, id: string, action: string): HTMLElement {
  return root.querySelector<HTMLElement>(`[data-id="${id}"][data-action="${action}"]`)!;
}

function moveButton(root: ShadowRoot, id: string, direction: 'up' | 'down'): HTMLElement {
  return root.querySelector<HTMLElement>(`[data-id="${id}"][data-direction="${direction}"]`)!;
}

/**
 * Chooses files with the file input, as a user does, and waits until `puts` PUTs have reached
 * storage (each file is hashed first, which takes real time).
 */
async function choose(root: ShadowRoot, files: File[], puts = files.length): Promise<void> {
  const input = root.querySelector<HTMLInputElement>('input[type="file"]')!;
  Object.defineProperty(input, 'files', { value: files, configurable: true });
  input.dispatchEvent(new CustomEvent('change'));
  await until(() => sentRequests().length >= puts);
  await settle();
}

function uploadRows(root: ShadowRoot): HTMLElement[] {
  return all(root, 'li.upload');
}

function keydown(target: Element, key: string, init: KeyboardEventInit = {}): void {
  target.dispatchEvent(new KeyboardEvent('keydown', { key, bubbles: true, ...init }));
}

describe('c-property-gallery', () => {
  beforeAll(installWebCrypto);

  beforeEach(() => {
    installFakeXhr();
    toastMock = jest.spyOn(Toast, 'show').mockImplementation(() => undefined);
    confirmMock = jest.fn();
    (LightningConfirm as unknown as { open: jest.Mock }).open = confirmMock;
    requestUploadMock.mockResolvedValue(ticket());
    confirmUploadMock.mockResolvedValue(confirmed());
  });

  afterEach(() => {
    while (document.body.firstChild) document.body.removeChild(document.body.firstChild);
    jest.useRealTimers();
    jest.resetAllMocks();
    toastMock.mockRestore();
  });

  describe('the grid', () => {
    it('shows each image as a lazy thumbnail, falling back to the original without one', async () => {
      const root = await mount();
      expect(getImagesMock).toHaveBeenCalledWith({ propertyId: PROPERTY_ID });
      const images = all<HTMLImageElement>(root, 'img.thumb');
      expect(images.map((i) => i.getAttribute('src'))).toEqual([
        FRONT.thumbnailUrl,
        KITCHEN.thumbnailUrl,
        NO_THUMBNAIL.url
      ]);
      expect(images.every((i) => i.getAttribute('loading') === 'lazy')).toBe(true);
    });

    it('describes each image by its caption, or its file name', async () => {
      const root = await mount();
      const alts = all<HTMLImageElement>(root, 'img.thumb').map((i) => i.getAttribute('alt'));
      expect(alts).toEqual(['Front garden in spring', 'house-2.jpg', 'plan.png']);
      expect(button(root, FRONT.id, 'view').getAttribute('aria-label')).toBe(
        'View Front garden in spring full size'
      );
      expect(text(root, 'li.tile .caption')).toBe('Front garden in spring');
    });

    it('shows a failed image by its reason, without a picture to open', async () => {
      const root = await mount({ ...GALLERY, images: [FRONT, FAILED] });
      const tile = root.querySelector(`li.tile[data-id="${FAILED.id}"]`)!;
      expect(tile.querySelector('img')).toBeNull();
      expect(text(tile, '.image-status')).toBe('Failed: The file is not a readable image.');
      expect(button(root, FAILED.id, 'view')).toBeNull();
      // It can still be deleted.
      expect(button(root, FAILED.id, 'delete')).not.toBeNull();
    });

    it('says when there are no images yet', async () => {
      const root = await mount(EMPTY);
      expect(text(root, '.empty')).toBe('No images yet.');
      expect(announcement(root)).toBe('No images yet.');
    });

    it('announces how many images there are once loaded', async () => {
      const root = await mount();
      expect(announcement(root)).toBe('3 images.');
    });

    it('shows why the images could not be loaded, as an alert', async () => {
      getImagesMock.mockRejectedValue(apexError('The media service is switched off.'));
      const element = createElement('c-property-gallery', { is: PropertyGallery });
      Object.assign(element, { recordId: PROPERTY_ID });
      document.body.appendChild(element);
      await settle();
      const root = element.shadowRoot!;
      const alert = root.querySelector('.load-error')!;
      expect(alert.getAttribute('role')).toBe('alert');
      expect(text(alert, '.message')).toBe('The media service is switched off.');
      expect(root.querySelector('input[type="file"]')).toBeNull();
    });
  });

  describe('canEdit false', () => {
    it('shows the images without any editing control', async () => {
      const root = await mount(READ_ONLY);
      expect(all(root, 'img.thumb')).toHaveLength(3);
      expect(root.querySelector('input[type="file"]')).toBeNull();
      expect(root.querySelector('.drop-zone')).toBeNull();
      expect(all(root, '[data-direction]')).toHaveLength(0);
      expect(all(root, '[data-action="delete"]')).toHaveLength(0);
      expect(all(root, '[data-action="edit-caption"]')).toHaveLength(0);
      // Viewing stays possible.
      expect(button(root, FRONT.id, 'view')).not.toBeNull();
    });

    it('shows the notice of a gallery listed only in part, and none otherwise', async () => {
      const notice = "Only the first 200 of this property's 230 images are shown (by their order).";
      const root = await mount({ ...READ_ONLY, notice });
      expect(root.querySelector('.notice')?.textContent).toBe(notice);
      const plain = await mount(READ_ONLY);
      expect(plain.querySelector('.notice')).toBeNull();
    });

    it('ignores files dropped on it', async () => {
      const root = await mount(READ_ONLY);
      const grid = root.querySelector('.grid')!;
      const drop = new CustomEvent('drop', { bubbles: true }) as unknown as DragEvent;
      Object.defineProperty(drop, 'dataTransfer', { value: { files: [jpeg()] } });
      grid.dispatchEvent(drop);
      await settle();
      expect(requestUploadMock).not.toHaveBeenCalled();
    });
  });

  describe('choosing files', () => {
    it('offers a labelled multiple file input limited to the accepted types', async () => {
      const root = await mount();
      const input = root.querySelector<HTMLInputElement>('input[type="file"]')!;
      expect(input.multiple).toBe(true);
      expect(input.getAttribute('accept')).toBe('image/jpeg,image/png,image/webp');
      expect(input.getAttribute('aria-describedby')).toBeTruthy();
      expect(text(root, '.upload-help')).toBe('JPEG, PNG or WebP, up to 20 MB each.');
      const label = root.querySelector('label.slds-file-selector__body')!;
      expect(label.textContent).toContain('Choose images');
      expect(label.getAttribute('for')).toBe(input.id);
      const help = root.querySelector('.upload-help')!;
      expect(input.getAttribute('aria-describedby')).toBe(help.id);
    });

    it('refuses a wrong type and a too-large file, each with its own message, sending nothing', async () => {
      const root = await mount();
      const big = jpeg('huge.jpg');
      Object.defineProperty(big, 'size', { value: 20971521 });
      await choose(root, [new File(['GIF89a'], 'anim.gif', { type: 'image/gif' }), big], 0);
      const rows = uploadRows(root);
      expect(rows.map((r) => text(r, '.upload-message'))).toEqual([
        'anim.gif is not a supported image type (image/gif). Choose a JPEG, PNG or WebP image.',
        'huge.jpg is 20 MB; images can be at most 20 MB.'
      ]);
      expect(rows.map((r) => text(r, '.upload-status'))).toEqual(['Not uploaded', 'Not uploaded']);
      expect(rows.every((r) => r.querySelector('.retry') === null)).toBe(true);
      expect(requestUploadMock).not.toHaveBeenCalled();
      expect(sentRequests()).toHaveLength(0);
      expect(announcement(root)).toContain('0 files queued for upload. 2 not accepted');
    });

    it('takes files dropped on the drop zone', async () => {
      const root = await mount();
      const zone = root.querySelector('.drop-zone')!;
      const over = new CustomEvent('dragover', { cancelable: true }) as unknown as DragEvent;
      Object.defineProperty(over, 'dataTransfer', { value: { dropEffect: 'none' } });
      zone.dispatchEvent(over);
      expect(over.defaultPrevented).toBe(true);
      await settle(1);
      expect(zone.className).toContain('slds-has-drag-over');

      const drop = new CustomEvent('drop', { cancelable: true }) as unknown as DragEvent;
      Object.defineProperty(drop, 'dataTransfer', { value: { files: [jpeg()] } });
      zone.dispatchEvent(drop);
      await until(() => sentRequests().length === 1);
      expect(drop.defaultPrevented).toBe(true);
      expect(zone.className).not.toContain('slds-has-drag-over');
      expect(requestUploadMock).toHaveBeenCalledTimes(1);
    });
  });

  describe('uploading', () => {
    it('hashes the file, asks for a ticket, PUTs it with exactly the ticket headers, then confirms', async () => {
      const root = await mount();
      const file = jpeg();
      await choose(root, [file]);

      expect(requestUploadMock).toHaveBeenCalledWith({
        propertyId: PROPERTY_ID,
        fileName: 'garden.jpg',
        contentType: 'image/jpeg',
        sizeBytes: 3,
        sha256: ABC_SHA256
      });
      const [xhr] = sentRequests();
      expect(xhr!.method).toBe('PUT');
      expect(xhr!.url).toBe(ticket().uploadUrl);
      expect(xhr!.headers).toEqual(ticket().headers);
      expect(xhr!.body).toBe(file);
      expect(confirmUploadMock).not.toHaveBeenCalled();
      expect(text(uploadRows(root)[0]!, '.upload-status')).toBe('Uploading 0%');

      getImagesMock.mockResolvedValue({ ...GALLERY, images: [...GALLERY.images, confirmed()] });
      xhr!.respond(200);
      await settle();
      expect(confirmUploadMock).toHaveBeenCalledWith({ imageId: NEW_IMAGE_ID });
      expect(text(uploadRows(root)[0]!, '.upload-status')).toBe('Uploaded');
      expect(tileIds(root)).toEqual([FRONT.id, KITCHEN.id, NO_THUMBNAIL.id, NEW_IMAGE_ID]);
      // The gallery is read again for fresh URLs once the uploads are through.
      expect(getImagesMock).toHaveBeenCalledTimes(2);
    });

    it('shows and announces the progress of each file', async () => {
      const root = await mount();
      await choose(root, [jpeg()]);
      const [xhr] = sentRequests();
      expect(announcement(root)).toBe('Uploading garden.jpg.');
      xhr!.progress(45, 100);
      await settle(1);
      const bar = root.querySelector('lightning-progress-bar') as unknown as HTMLElement & {
        value: number;
      };
      expect(bar.value).toBe(45);
      expect(bar.getAttribute('aria-label')).toBe('Upload of garden.jpg: 45%');
      expect(text(uploadRows(root)[0]!, '.upload-status')).toBe('Uploading 45%');
      confirmUploadMock.mockReturnValue(new Promise(() => undefined));
      xhr!.respond(200);
      await settle();
      expect(text(uploadRows(root)[0]!, '.upload-status')).toBe('Verifying');
      expect(announcement(root)).toBe('garden.jpg sent; verifying.');
    });

    it('uploads at most three files at a time', async () => {
      const root = await mount();
      let n = 0;
      requestUploadMock.mockImplementation(() =>
        Promise.resolve(ticket({ imageId: `a0Q0000000000${++n}0AAA`, uploadUrl: `https://s/${n}` }))
      );
      confirmUploadMock.mockImplementation(({ imageId }: { imageId: string }) =>
        Promise.resolve(confirmed({ id: imageId }))
      );
      await choose(
        root,
        Array.from({ length: 5 }, (_, i) => jpeg(`p${i}.jpg`)),
        3
      );
      expect(sentRequests().map((x) => x.url)).toEqual([
        'https://s/1',
        'https://s/2',
        'https://s/3'
      ]);
      expect(uploadRows(root).map((r) => text(r, '.upload-status'))).toEqual([
        'Uploading 0%',
        'Uploading 0%',
        'Uploading 0%',
        'Waiting',
        'Waiting'
      ]);
      sentRequests()[1]!.respond(200);
      await until(() => sentRequests().length === 4);
      await settle();
      expect(sentRequests()).toHaveLength(4);
      sentRequests().forEach((x) => x.status || x.respond(200));
      await until(() => sentRequests().length === 5);
      sentRequests().forEach((x) => x.status || x.respond(200));
      await settle();
      expect(uploadRows(root).every((r) => text(r, '.upload-status') === 'Uploaded')).toBe(true);
    });

    it('retries a failed PUT with a new URL for the same image', async () => {
      const root = await mount();
      await choose(root, [jpeg()]);
      sentRequests()[0]!.respond(500);
      await settle();
      const row = uploadRows(root)[0]!;
      expect(text(row, '.upload-status')).toBe('Failed');
      expect(text(row, '.upload-message')).toBe('Storage refused the file (HTTP 500).');
      expect(announcement(root)).toBe('garden.jpg failed: Storage refused the file (HTTP 500).');
      expect(confirmUploadMock).not.toHaveBeenCalled();

      retryUploadMock.mockResolvedValue(ticket({ uploadUrl: 'https://media.example.com/again' }));
      const retry = row.querySelector('.retry') as unknown as HTMLElement & { title: string };
      expect(retry.title).toBe('Retry garden.jpg');
      click(retry);
      await settle();
      expect(retryUploadMock).toHaveBeenCalledWith({ imageId: NEW_IMAGE_ID });
      expect(requestUploadMock).toHaveBeenCalledTimes(1);
      expect(sentRequests()[1]!.url).toBe('https://media.example.com/again');
      expect(sentRequests()[1]!.headers).toEqual(ticket().headers);
      sentRequests()[1]!.respond(200);
      await settle();
      expect(text(uploadRows(root)[0]!, '.upload-status')).toBe('Uploaded');
    });

    it('a retry whose file is already stored (PUT answered 412) is confirmed, not failed', async () => {
      const root = await mount();
      await choose(root, [jpeg()]);
      // The first PUT reached storage but its answer was lost (network error).
      sentRequests()[0]!.failNetwork();
      await settle();
      retryUploadMock.mockResolvedValue(ticket({ uploadUrl: 'https://media.example.com/again' }));
      click(uploadRows(root)[0]!.querySelector('.retry') as unknown as HTMLElement);
      await settle();
      expect(sentRequests()[1]!.headers['If-None-Match']).toBe('*');
      sentRequests()[1]!.respond(412);
      await settle();
      expect(confirmUploadMock).toHaveBeenCalledWith({ imageId: NEW_IMAGE_ID });
      expect(text(uploadRows(root)[0]!, '.upload-status')).toBe('Uploaded');
    });

    it('says an expired upload link expired, and its retry gets a new ticket', async () => {
      requestUploadMock.mockResolvedValue(ticket({ expiresAt: '2000-01-01T00:00:00.000Z' }));
      const root = await mount();
      await choose(root, [jpeg()]);
      sentRequests()[0]!.respond(403);
      await settle();
      expect(text(uploadRows(root)[0]!, '.upload-message')).toBe(LINK_EXPIRED);

      retryUploadMock.mockResolvedValue(ticket({ uploadUrl: 'https://media.example.com/new' }));
      click(uploadRows(root)[0]!.querySelector('.retry'));
      await settle();
      expect(retryUploadMock).toHaveBeenCalledWith({ imageId: NEW_IMAGE_ID });
      expect(sentRequests()[1]!.url).toBe('https://media.example.com/new');
    });

    it('shows why the media service refused the image, and a network failure', async () => {
      confirmUploadMock.mockResolvedValue(
        confirmed({ status: 'Failed', failureReason: 'The file is not a readable image.' })
      );
      const root = await mount();
      await choose(root, [jpeg('a.jpg'), jpeg('b.jpg')]);
      requestUploadMock.mockResolvedValue(ticket({ imageId: 'a0Q000000000008AAA' }));
      sentRequests()[0]!.respond(200);
      sentRequests()[1]!.failNetwork();
      await settle();
      expect(uploadRows(root).map((r) => text(r, '.upload-message'))).toEqual([
        'The file is not a readable image.',
        'The file could not be sent to storage (network error).'
      ]);
      // A refused image stays out of the grid while its upload row shows it.
      expect(tileIds(root)).not.toContain(NEW_IMAGE_ID);
    });

    it('clears finished uploads from the list on request', async () => {
      const root = await mount();
      await choose(root, [jpeg(), new File(['x'], 'x.gif', { type: 'image/gif' })], 1);
      sentRequests()[0]!.respond(200);
      await settle();
      click(root.querySelector('.dismiss'));
      await settle(1);
      expect(uploadRows(root)).toHaveLength(0);
    });
  });

  describe('reordering', () => {
    it('moves an image later and saves the whole new order', async () => {
      reorderMock.mockResolvedValue(undefined);
      const root = await mount();
      const down = moveButton(root, FRONT.id, 'down') as HTMLElement & {
        alternativeText: string;
      };
      expect(down.alternativeText).toBe('Move house-1.jpg later');
      click(down);
      await settle();
      expect(tileIds(root)).toEqual([KITCHEN.id, FRONT.id, NO_THUMBNAIL.id]);
      expect(reorderMock).toHaveBeenCalledWith({
        propertyId: PROPERTY_ID,
        orderedImageIds: [KITCHEN.id, FRONT.id, NO_THUMBNAIL.id]
      });
      expect(announcement(root)).toBe('Front garden in spring moved to position 2 of 3.');
    });

    it('cannot move the first image earlier nor the last later', async () => {
      const root = await mount();
      const first = moveButton(root, FRONT.id, 'up') as HTMLElement & { disabled: boolean };
      const last = moveButton(root, NO_THUMBNAIL.id, 'down') as HTMLElement & {
        disabled: boolean;
      };
      expect(first.disabled).toBe(true);
      expect(last.disabled).toBe(true);
      expect(
        (moveButton(root, KITCHEN.id, 'up') as unknown as { disabled: boolean }).disabled
      ).toBe(false);
    });

    it('keeps focus on the button used, or its twin at the end', async () => {
      reorderMock.mockResolvedValue(undefined);
      const root = await mount();
      const target = moveButton(root, KITCHEN.id, 'up');
      const focus = jest.fn();
      const twin = moveButton(root, KITCHEN.id, 'down');
      twin.focus = focus;
      click(target);
      await settle();
      // Kitchen is now first: its "earlier" button is disabled, so focus goes to "later".
      expect(tileIds(root)[0]).toBe(KITCHEN.id);
      expect(focus).toHaveBeenCalled();
    });

    it('reports a failed save and shows the order the server has', async () => {
      reorderMock.mockRejectedValue(apexError('You cannot edit this property.'));
      const root = await mount();
      click(moveButton(root, FRONT.id, 'down'));
      await settle();
      expect(toastMock).toHaveBeenCalledWith(
        {
          label: 'The new order could not be saved',
          message: 'You cannot edit this property.',
          variant: 'error'
        },
        expect.anything()
      );
      expect(getImagesMock).toHaveBeenCalledTimes(2);
      expect(tileIds(root)).toEqual([FRONT.id, KITCHEN.id, NO_THUMBNAIL.id]);
    });
  });

  describe('dragging tiles', () => {
    /** A drag event with the DataTransfer a browser gives it. */
    function drag(type: string, target: Element): DragEvent {
      const event = new CustomEvent(type, { cancelable: true }) as unknown as DragEvent;
      const dataTransfer = { effectAllowed: '', dropEffect: '', setData: jest.fn() };
      Object.defineProperty(event, 'dataTransfer', { value: dataTransfer });
      target.dispatchEvent(event);
      return event;
    }

    function tile(root: ShadowRoot, id: string): HTMLElement {
      return root.querySelector<HTMLElement>(`li.tile[data-id="${id}"]`)!;
    }

    it('drops a dragged image in the place of the one it is dropped on, and saves', async () => {
      reorderMock.mockResolvedValue(undefined);
      const root = await mount();
      expect(tile(root, FRONT.id).getAttribute('draggable')).toBe('true');
      const start = drag('dragstart', tile(root, NO_THUMBNAIL.id));
      expect(start.dataTransfer!.setData).toHaveBeenCalledWith('text/plain', NO_THUMBNAIL.id);
      expect(drag('dragover', tile(root, FRONT.id)).defaultPrevented).toBe(true);
      expect(drag('drop', tile(root, FRONT.id)).defaultPrevented).toBe(true);
      await settle();
      expect(tileIds(root)).toEqual([NO_THUMBNAIL.id, FRONT.id, KITCHEN.id]);
      expect(reorderMock).toHaveBeenCalledWith({
        propertyId: PROPERTY_ID,
        orderedImageIds: [NO_THUMBNAIL.id, FRONT.id, KITCHEN.id]
      });
      expect(announcement(root)).toBe('plan.png moved to position 1 of 3.');
    });

    it('ignores a drop that did not start on a tile, or on the same place', async () => {
      const root = await mount();
      expect(drag('dragover', tile(root, FRONT.id)).defaultPrevented).toBe(false);
      drag('drop', tile(root, FRONT.id));
      drag('dragstart', tile(root, KITCHEN.id));
      drag('drop', tile(root, KITCHEN.id));
      drag('dragstart', tile(root, KITCHEN.id));
      drag('dragend', tile(root, KITCHEN.id));
      drag('drop', tile(root, FRONT.id));
      await settle();
      expect(reorderMock).not.toHaveBeenCalled();
      expect(tileIds(root)).toEqual([FRONT.id, KITCHEN.id, NO_THUMBNAIL.id]);
    });

    it('cannot be dragged without edit access', async () => {
      const root = await mount(READ_ONLY);
      expect(tile(root, FRONT.id).getAttribute('draggable')).toBe('false');
      drag('dragstart', tile(root, KITCHEN.id));
      drag('drop', tile(root, FRONT.id));
      await settle();
      expect(reorderMock).not.toHaveBeenCalled();
    });
  });

  describe('captions', () => {
    async function editFront(root: ShadowRoot): Promise<HTMLInputElement> {
      click(button(root, FRONT.id, 'edit-caption'));
      await settle(1);
      return root.querySelector<HTMLInputElement>('input.caption-input')!;
    }

    it('edits a caption inline and saves it on Enter', async () => {
      setCaptionMock.mockResolvedValue(undefined);
      const root = await mount();
      const input = await editFront(root);
      expect(input.value).toBe('Front garden in spring');
      expect(input.getAttribute('maxlength')).toBe('255');
      const label = root.querySelector('.caption-editor label')!;
      expect(label.textContent!.trim()).toBe('Caption for house-1.jpg');
      expect(label.getAttribute('for')).toBe(input.id);
      input.value = '  Garden at dusk ';
      input.dispatchEvent(new CustomEvent('input'));
      keydown(input, 'Enter');
      await settle();
      expect(setCaptionMock).toHaveBeenCalledWith({ imageId: FRONT.id, caption: 'Garden at dusk' });
      expect(root.querySelector('input.caption-input')).toBeNull();
      expect(text(root, `li.tile[data-id="${FRONT.id}"] .caption`)).toBe('Garden at dusk');
      expect(root.querySelector('img.thumb')!.getAttribute('alt')).toBe('Garden at dusk');
      expect(announcement(root)).toBe('Caption saved.');
    });

    it('refuses a caption over 255 characters without calling Apex', async () => {
      const root = await mount();
      const input = await editFront(root);
      input.value = 'x'.repeat(256);
      input.dispatchEvent(new CustomEvent('input'));
      click(root.querySelector('.caption-save'));
      await settle();
      expect(setCaptionMock).not.toHaveBeenCalled();
      expect(text(root, '.caption-error')).toBe(
        'A caption can be at most 255 characters (this one has 256).'
      );
    });

    it('keeps the editor open with the reason when saving fails', async () => {
      setCaptionMock.mockRejectedValue(apexError('This image was deleted.'));
      const root = await mount();
      await editFront(root);
      click(root.querySelector('.caption-save'));
      await settle();
      expect(text(root, '.caption-error')).toBe(
        'The caption could not be saved: This image was deleted.'
      );
      expect(root.querySelector('input.caption-input')).not.toBeNull();
    });

    it('cancels on Escape, leaving the caption as it was', async () => {
      const root = await mount();
      const input = await editFront(root);
      input.value = 'Something else';
      input.dispatchEvent(new CustomEvent('input'));
      keydown(input, 'Escape');
      await settle(1);
      expect(root.querySelector('input.caption-input')).toBeNull();
      expect(text(root, `li.tile[data-id="${FRONT.id}"] .caption`)).toBe('Front garden in spring');
      expect(setCaptionMock).not.toHaveBeenCalled();
    });

    it('removes a caption saved empty', async () => {
      setCaptionMock.mockResolvedValue(undefined);
      const root = await mount();
      const input = await editFront(root);
      input.value = '';
      input.dispatchEvent(new CustomEvent('input'));
      click(root.querySelector('.caption-save'));
      await settle();
      expect(setCaptionMock).toHaveBeenCalledWith({ imageId: FRONT.id, caption: '' });
      expect(root.querySelector('img.thumb')!.getAttribute('alt')).toBe('house-1.jpg');
      expect(announcement(root)).toBe('Caption removed.');
    });
  });

  describe('deleting', () => {
    it('asks first, and deletes nothing when the user cancels', async () => {
      confirmMock.mockResolvedValue(false);
      const root = await mount();
      click(button(root, KITCHEN.id, 'delete'));
      await settle();
      expect(confirmMock).toHaveBeenCalledWith({
        label: 'Delete image',
        message:
          'Delete house-2.jpg? It is removed from the listing and from storage; this cannot be undone.',
        variant: 'header',
        theme: 'warning'
      });
      expect(deleteImageMock).not.toHaveBeenCalled();
      expect(tileIds(root)).toContain(KITCHEN.id);
    });

    it('deletes after confirmation and says so', async () => {
      confirmMock.mockResolvedValue(true);
      deleteImageMock.mockResolvedValue(undefined);
      const root = await mount();
      click(button(root, KITCHEN.id, 'delete'));
      await settle();
      expect(deleteImageMock).toHaveBeenCalledWith({ imageId: KITCHEN.id });
      expect(tileIds(root)).toEqual([FRONT.id, NO_THUMBNAIL.id]);
      expect(announcement(root)).toBe('house-2.jpg deleted.');
      expect(toastMock).toHaveBeenCalledWith(
        { label: 'Image deleted', message: 'house-2.jpg', variant: 'success' },
        expect.anything()
      );
    });

    it('keeps the image and reports why when the delete fails', async () => {
      confirmMock.mockResolvedValue(true);
      deleteImageMock.mockRejectedValue(apexError('Storage is unavailable.'));
      const root = await mount();
      click(button(root, KITCHEN.id, 'delete'));
      await settle();
      expect(tileIds(root)).toContain(KITCHEN.id);
      expect(toastMock).toHaveBeenCalledWith(
        {
          label: 'house-2.jpg could not be deleted',
          message: 'Storage is unavailable.',
          variant: 'error'
        },
        expect.anything()
      );
    });
  });

  describe('the full-size viewer', () => {
    async function open(root: ShadowRoot, id: string): Promise<HTMLElement> {
      click(button(root, id, 'view'));
      await settle(1);
      return root.querySelector<HTMLElement>('section.viewer')!;
    }

    it('opens as a modal dialog showing the original', async () => {
      const root = await mount();
      const dialog = await open(root, FRONT.id);
      expect(dialog.getAttribute('role')).toBe('dialog');
      expect(dialog.getAttribute('aria-modal')).toBe('true');
      expect(dialog.getAttribute('aria-labelledby')).toBeTruthy();
      expect(text(dialog, 'h2')).toBe('Front garden in spring');
      expect(text(dialog, '.viewer-position')).toBe('1 of 3');
      const img = dialog.querySelector('img.viewer-image')!;
      expect(img.getAttribute('src')).toBe(FRONT.url);
      expect(img.getAttribute('alt')).toBe('Front garden in spring');
    });

    it('steps with next and previous, wrapping around, and with the arrow keys', async () => {
      const root = await mount();
      const dialog = await open(root, FRONT.id);
      click(dialog.querySelector('.viewer-next'));
      await settle(1);
      expect(text(dialog, '.viewer-position')).toBe('2 of 3');
      expect(dialog.querySelector('img.viewer-image')!.getAttribute('src')).toBe(KITCHEN.url);
      keydown(dialog, 'ArrowLeft');
      keydown(dialog, 'ArrowLeft');
      await settle(1);
      expect(text(dialog, '.viewer-position')).toBe('3 of 3');
      keydown(dialog, 'ArrowRight');
      await settle(1);
      expect(text(dialog, '.viewer-position')).toBe('1 of 3');
      click(dialog.querySelector('.viewer-previous'));
      await settle(1);
      expect(text(dialog, '.viewer-position')).toBe('3 of 3');
    });

    it('closes on Escape and on Close, returning focus to the image opened', async () => {
      const root = await mount();
      const opener = button(root, KITCHEN.id, 'view');
      const focus = jest.spyOn(opener, 'focus');
      const dialog = await open(root, KITCHEN.id);
      keydown(dialog, 'Escape');
      await settle(1);
      expect(root.querySelector('section.viewer')).toBeNull();
      expect(focus).toHaveBeenCalled();

      const again = await open(root, KITCHEN.id);
      click(again.querySelector('.viewer-close'));
      await settle(1);
      expect(root.querySelector('section.viewer')).toBeNull();
    });

    it('keeps Tab inside the dialog', async () => {
      const root = await mount();
      const dialog = await open(root, FRONT.id);
      const controls = all(dialog, '.viewer-control');
      const first = controls[0]!;
      const last = controls[controls.length - 1]!;
      const firstFocus = jest.spyOn(first, 'focus');
      const lastFocus = jest.spyOn(last, 'focus');
      Object.defineProperty(root, 'activeElement', { value: last, configurable: true });
      keydown(dialog, 'Tab');
      expect(firstFocus).toHaveBeenCalled();
      Object.defineProperty(root, 'activeElement', { value: first, configurable: true });
      keydown(dialog, 'Tab', { shiftKey: true });
      expect(lastFocus).toHaveBeenCalled();
    });

    it('closes when the image shown is deleted', async () => {
      confirmMock.mockResolvedValue(true);
      deleteImageMock.mockResolvedValue(undefined);
      const root = await mount();
      await open(root, KITCHEN.id);
      click(button(root, KITCHEN.id, 'delete'));
      await settle();
      expect(root.querySelector('section.viewer')).toBeNull();
    });
  });

  describe('URL expiry', () => {
    it('fetches new view URLs shortly before they expire, and again after that', async () => {
      const now = Date.parse('2026-12-07T10:00:00.000Z');
      jest.useFakeTimers({ now });
      const root = await mount({ ...GALLERY, expiresAt: '2026-12-07T10:05:00.000Z' });
      expect(getImagesMock).toHaveBeenCalledTimes(1);

      const renewed = {
        ...GALLERY,
        images: GALLERY.images.map((i) => ({ ...i, thumbnailUrl: `${i.thumbnailUrl}&renewed=1` })),
        expiresAt: '2026-12-07T10:09:30.000Z'
      };
      getImagesMock.mockResolvedValue(renewed);
      jest.advanceTimersByTime(300_000 - REFRESH_MARGIN_MS - 1);
      expect(getImagesMock).toHaveBeenCalledTimes(1);
      jest.advanceTimersByTime(1);
      await settle();
      expect(getImagesMock).toHaveBeenCalledTimes(2);
      expect(root.querySelector('img.thumb')!.getAttribute('src')).toBe(
        `${FRONT.thumbnailUrl}&renewed=1`
      );
      // The next refresh follows the new expiresAt.
      jest.advanceTimersByTime(300_000 - REFRESH_MARGIN_MS);
      await settle();
      expect(getImagesMock).toHaveBeenCalledTimes(3);
    });

    it('sets no timer when nothing expires, and stops when removed', async () => {
      jest.useFakeTimers();
      await mount(EMPTY);
      expect(jest.getTimerCount()).toBe(0);
      document.body.removeChild(document.body.firstChild!);
      await mount();
      expect(jest.getTimerCount()).toBe(1);
      document.body.removeChild(document.body.firstChild!);
      expect(jest.getTimerCount()).toBe(0);
    });

    it('fetches new URLs at once when an image fails to load after they expired', async () => {
      jest.useFakeTimers({ now: Date.parse('2026-12-07T10:00:00.000Z') });
      const root = await mount({ ...GALLERY, expiresAt: '2026-12-07T10:05:00.000Z' });
      const img = root.querySelector('img.thumb')!;
      img.dispatchEvent(new CustomEvent('error'));
      await settle();
      expect(getImagesMock).toHaveBeenCalledTimes(1);

      jest.setSystemTime(Date.parse('2026-12-07T10:06:00.000Z'));
      img.dispatchEvent(new CustomEvent('error'));
      img.dispatchEvent(new CustomEvent('error'));
      await settle();
      expect(getImagesMock).toHaveBeenCalledTimes(2);
    });
  });

  describe('accessibility', () => {
    it('has a polite live region and labels every icon button', async () => {
      const root = await mount();
      const live = root.querySelector('[aria-live="polite"]')!;
      expect(live.getAttribute('role')).toBe('status');
      const icons = all<HTMLElement & { alternativeText: string }>(root, 'lightning-button-icon');
      expect(icons.length).toBeGreaterThan(0);
      expect(icons.every((b) => b.alternativeText && b.alternativeText.length > 0)).toBe(true);
      expect(root.querySelector('ul.grid')!.getAttribute('aria-label')).toBe('Images');
    });
  });

  it('messageOf reads an AuraHandledException body', () => {
    expect(messageOf(apexError('No access.'))).toBe('No access.');
  });
});
