import { LightningElement, api } from 'lwc';
import Toast from 'lightning/toast';
import getImages from '@salesforce/apex/PropertyGalleryController.getImages';
import requestUpload from '@salesforce/apex/PropertyGalleryController.requestUpload';
import confirmUpload from '@salesforce/apex/PropertyGalleryController.confirmUpload';
import retryUpload from '@salesforce/apex/PropertyGalleryController.retryUpload';
import reorder from '@salesforce/apex/PropertyGalleryController.reorder';
import setCaption from '@salesforce/apex/PropertyGalleryController.setCaption';
import deleteImage from '@salesforce/apex/PropertyGalleryController.deleteImage';
import { apexErrorMessage } from 'c/apexErrors';
import { MAX_BYTES, MAX_CAPTION_LENGTH, UPLOAD_CONCURRENCY } from './mediaLimits';
import { ACCEPT, validateFile } from './imageValidation';
import { altText, formatBytes, refreshDelay, statusText } from './galleryFormat';
import { sha256Hex } from './sha256';
import { putToStorage } from './storagePut';
import { TaskQueue } from './taskQueue';
import { runUpload } from './uploadJob';
import { confirmAction } from './confirmDialog';
import { moveItem, withShownOrder } from './imageOrder';
/** The user-facing message of a failed Apex call (c/apexErrors). */
export const messageOf = (error) => apexErrorMessage(error);
const STATUS_LABELS = {
    queued: 'Waiting',
    hashing: 'Preparing',
    requesting: 'Starting upload',
    uploading: 'Uploading',
    verifying: 'Verifying',
    done: 'Uploaded',
    failed: 'Failed',
    invalid: 'Not uploaded'
};
/** Statuses in which an upload's image record must not also show in the grid. */
const IN_FLIGHT = new Set(['queued', 'hashing', 'requesting', 'uploading', 'verifying', 'failed']);
/** The real services of an upload: Apex, Web Crypto and XMLHttpRequest. */
const SERVICES = {
    hash: sha256Hex,
    requestUpload: (params) => requestUpload(params),
    retryUpload: (params) => retryUpload(params),
    confirmUpload: (params) => confirmUpload(params),
    put: putToStorage,
    messageOf,
    now: () => Date.now()
};
let uploadCounter = 0;
/**
 * The photos of a property (Scenario 6), on the Property__c record page. Files go from the
 * browser straight to external storage with a presigned PUT that Apex obtains from the media
 * service; Salesforce keeps only the Property_Image__c record. The view URLs it shows are
 * presigned too and expire, so the gallery fetches new ones shortly before `expiresAt`.
 */
export default class PropertyGallery extends LightningElement {
    @api
    recordId;
    images = [];
    canEdit = false;
    expiresAt = null;
    notice = '';
    loaded = false;
    loadError = '';
    uploads = [];
    announcement = 'Loading images.';
    isDragOver = false;
    editingId;
    captionDraft = '';
    captionError = '';
    savingCaption = false;
    viewerId;
    connected = false;
    loadSequence = 0;
    refreshTimer;
    focusTarget;
    viewerOpener;
    reorderChain = Promise.resolve();
    queue = new TaskQueue(UPLOAD_CONCURRENCY, () => this.handleQueueIdle());
    uploadedSinceLoad = false;
    draggingId;
    connectedCallback() {
        this.connected = true;
        this.load();
    }
    disconnectedCallback() {
        this.connected = false;
        this.clearRefresh();
    }
    renderedCallback() {
        if (!this.focusTarget)
            return;
        const target = this.template?.querySelector(this.focusTarget);
        if (target) {
            this.focusTarget = undefined;
            target.focus();
        }
    }
    // ---- loading and URL refresh ----
    /**
     * Loads the gallery. Responses of superseded loads are dropped, so a slow answer cannot put
     * back URLs or an order older than a newer one's.
     */
    async load() {
        if (!this.recordId)
            return;
        const sequence = ++this.loadSequence;
        this.clearRefresh();
        try {
            const gallery = await getImages({ propertyId: this.recordId });
            if (sequence !== this.loadSequence || !this.connected)
                return;
            this.images = gallery.images ?? [];
            this.canEdit = gallery.canEdit === true;
            this.expiresAt = gallery.expiresAt;
            this.notice = gallery.notice ?? '';
            this.loadError = '';
            if (!this.loaded)
                this.announcement = this.countSentence();
            this.loaded = true;
            this.scheduleRefresh();
        }
        catch (error) {
            if (sequence !== this.loadSequence || !this.connected)
                return;
            this.loadError = messageOf(error);
            this.loaded = true;
            this.announcement = `The images could not be loaded: ${this.loadError}`;
        }
    }
    scheduleRefresh() {
        const delay = refreshDelay(this.expiresAt, Date.now());
        if (delay === undefined)
            return;
        // The view URLs are presigned and stop working at expiresAt: only a timer can renew them
        // before a user meets a broken image. Cleared on disconnect and before every load.
        // eslint-disable-next-line @lwc/lwc/no-async-operation
        this.refreshTimer = setTimeout(() => {
            this.refreshTimer = undefined;
            this.load();
        }, delay);
    }
    clearRefresh() {
        if (this.refreshTimer !== undefined)
            clearTimeout(this.refreshTimer);
        this.refreshTimer = undefined;
    }
    /**
     * An image that fails to load after its URL expired (a laptop woken from sleep, whose timer
     * fired late): fetch new URLs now. A pending timer means no load is under way, so a grid of
     * broken images asks once, not once per image.
     */
    handleImageError() {
        const at = Date.parse(this.expiresAt ?? '');
        if (!Number.isNaN(at) && Date.now() >= at && this.refreshTimer !== undefined) {
            this.load();
        }
    }
    // ---- template state ----
    get isLoading() {
        return !this.loaded;
    }
    get hasLoadError() {
        return this.loaded && !!this.loadError;
    }
    get accept() {
        return ACCEPT;
    }
    get maxCaptionLength() {
        return MAX_CAPTION_LENGTH;
    }
    get showUploader() {
        return this.loaded && !this.loadError && this.canEdit;
    }
    get dropZoneClass() {
        return this.isDragOver
            ? 'drop-zone slds-file-selector__dropzone slds-has-drag-over'
            : 'drop-zone slds-file-selector__dropzone';
    }
    get hasUploads() {
        return this.uploads.length > 0;
    }
    get uploadHelp() {
        return `JPEG, PNG or WebP, up to ${formatBytes(MAX_BYTES)} each.`;
    }
    get hasFinishedUploads() {
        return this.uploads.some((u) => u.status === 'done' || u.status === 'invalid');
    }
    get uploadRows() {
        return this.uploads.map((u) => {
            const label = STATUS_LABELS[u.status];
            const uploading = u.status === 'uploading';
            return {
                key: u.key,
                fileName: u.file.name,
                sizeText: formatBytes(u.file.size),
                statusLabel: uploading ? `${label} ${u.progress}%` : label,
                showProgress: ['uploading', 'verifying'].includes(u.status),
                progress: u.progress,
                progressLabel: `Upload of ${u.file.name}: ${u.progress}%`,
                isFailed: u.status === 'failed' || u.status === 'invalid',
                canRetry: u.status === 'failed',
                message: u.message,
                retryLabel: `Retry ${u.file.name}`,
                rowClass: u.status === 'failed' || u.status === 'invalid'
                    ? 'upload slds-item slds-text-color_error'
                    : 'upload slds-item'
            };
        });
    }
    /** The images the grid shows: those of uploads still under way show in the upload list. */
    get visibleImages() {
        const inFlight = new Set(this.uploads.filter((u) => u.imageId && IN_FLIGHT.has(u.status)).map((u) => u.imageId));
        return this.images.filter((image) => !inFlight.has(image.id));
    }
    get hasImages() {
        return this.visibleImages.length > 0;
    }
    get isEmpty() {
        return this.loaded && !this.loadError && !this.hasImages;
    }
    get tiles() {
        const visible = this.visibleImages;
        return visible.map((image, index) => {
            const alt = altText(image);
            const src = image.thumbnailUrl || image.url;
            const editing = this.editingId === image.id;
            return {
                id: image.id,
                alt,
                src,
                hasSrc: !!src && image.status === 'Available',
                canView: !!image.url && image.status === 'Available',
                viewLabel: `View ${alt} full size`,
                status: statusText(image),
                caption: image.caption ?? '',
                hasCaption: !!image.caption,
                editing,
                captionInputId: `caption-${image.id}`,
                captionLabel: `Caption for ${image.fileName}`,
                editCaptionLabel: `Edit caption of ${image.fileName}`,
                isFirst: index === 0,
                isLast: index === visible.length - 1,
                moveUpLabel: `Move ${image.fileName} earlier`,
                moveDownLabel: `Move ${image.fileName} later`,
                deleteLabel: `Delete ${image.fileName}`,
                position: `Image ${index + 1} of ${visible.length}`
            };
        });
    }
    // ---- choosing files ----
    handleFileChange(event) {
        const input = event.target;
        this.addFiles(Array.from(input.files ?? []));
        // The same file chosen again (after a failure) must fire change again.
        input.value = '';
    }
    handleDragOver(event) {
        if (!this.canEdit)
            return;
        event.preventDefault();
        if (event.dataTransfer)
            event.dataTransfer.dropEffect = 'copy';
        this.isDragOver = true;
    }
    handleDragLeave() {
        this.isDragOver = false;
    }
    handleDrop(event) {
        event.preventDefault();
        this.isDragOver = false;
        if (!this.canEdit)
            return;
        this.addFiles(Array.from(event.dataTransfer?.files ?? []));
    }
    /** Validates each file, then queues the valid ones; the queue runs a few at a time. */
    addFiles(files) {
        if (!this.canEdit || files.length === 0 || !this.recordId)
            return;
        const added = files.map((file) => {
            const check = validateFile(file);
            return {
                key: `upload-${++uploadCounter}`,
                file,
                status: check.valid ? 'queued' : 'invalid',
                progress: 0,
                message: check.valid ? '' : check.message
            };
        });
        this.uploads = [...this.uploads, ...added];
        const valid = added.filter((u) => u.status === 'queued');
        const refused = added.length - valid.length;
        this.announcement =
            `${valid.length} ${valid.length === 1 ? 'file' : 'files'} queued for upload.` +
                (refused ? ` ${refused} not accepted: ${added.find((u) => u.message)?.message}` : '');
        for (const item of valid)
            this.enqueue(item.key);
    }
    enqueue(key) {
        const propertyId = this.recordId;
        this.queue.add(async () => {
            const item = this.uploads.find((u) => u.key === key);
            if (!item)
                return;
            await runUpload(propertyId, item.file, item, SERVICES, (patch) => this.updateUpload(key, patch));
        });
    }
    updateUpload(key, patch) {
        const before = this.uploads.find((u) => u.key === key);
        if (!before)
            return;
        const after = { ...before, ...patch };
        this.uploads = this.uploads.map((u) => (u.key === key ? after : u));
        if (patch.status && patch.status !== before.status)
            this.announceUpload(after);
        if (patch.status === 'done' && after.image) {
            this.uploadedSinceLoad = true;
            this.placeImage(after.image);
        }
    }
    /** A confirmed image takes its record's place in the grid (or joins the end) until the reload. */
    placeImage(image) {
        const index = this.images.findIndex((i) => i.id === image.id);
        this.images =
            index >= 0
                ? this.images.map((i) => (i.id === image.id ? image : i))
                : [...this.images, image];
    }
    announceUpload(item) {
        const name = item.file.name;
        switch (item.status) {
            case 'uploading':
                this.announcement = `Uploading ${name}.`;
                break;
            case 'verifying':
                this.announcement = `${name} sent; verifying.`;
                break;
            case 'done':
                this.announcement = `${name} uploaded.`;
                break;
            case 'failed':
                this.announcement = `${name} failed: ${item.message}`;
                break;
            default:
        }
    }
    /** The uploads are all through: fetch the gallery again for the new images' view URLs. */
    handleQueueIdle() {
        if (!this.uploadedSinceLoad || !this.connected)
            return;
        this.uploadedSinceLoad = false;
        this.load();
    }
    handleRetry(event) {
        const key = event.currentTarget.dataset.key;
        const item = this.uploads.find((u) => u.key === key);
        if (!item || item.status !== 'failed')
            return;
        this.updateUpload(key, { status: 'queued', progress: 0, message: '' });
        this.announcement = `Retrying ${item.file.name}.`;
        this.enqueue(key);
    }
    handleDismissFinished() {
        this.uploads = this.uploads.filter((u) => u.status !== 'done' && u.status !== 'invalid');
    }
    // ---- reorder ----
    handleMove(event) {
        const button = event.currentTarget;
        const id = button.dataset.id;
        const direction = button.dataset.direction === 'up' ? -1 : 1;
        this.move(id, direction);
    }
    /** Moves an image one place earlier or later (the buttons; keyboard accessible). */
    move(id, direction) {
        const visible = this.visibleImages;
        const at = visible.findIndex((i) => i.id === id);
        const to = at + direction;
        if (at < 0 || to < 0 || to >= visible.length)
            return;
        if (!this.moveTo(id, to))
            return;
        // Keep focus on the control used; at an end, that button is disabled, so use the other one.
        const keep = direction === -1 ? (to === 0 ? 'down' : 'up') : to === visible.length - 1 ? 'up' : 'down';
        this.focusTarget = `[data-id="${id}"][data-direction="${keep}"]`;
    }
    /**
     * Puts an image at `to` among the shown ones and saves the whole new order. Saves are chained,
     * so two quick moves reach Apex in the order they were made; a failed save reloads the order
     * the server has.
     * @returns whether anything moved.
     */
    moveTo(id, to) {
        if (!this.canEdit || !this.recordId)
            return false;
        const visible = this.visibleImages;
        const from = visible.findIndex((i) => i.id === id);
        if (from < 0 || from === to)
            return false;
        const shownOrder = moveItem(visible, from, to);
        const order = withShownOrder(this.images, shownOrder);
        this.images = order;
        this.announcement = `${altText(visible[from])} moved to position ${to + 1} of ${visible.length}.`;
        const propertyId = this.recordId;
        const orderedImageIds = order.map((i) => i.id);
        this.reorderChain = this.reorderChain.then(async () => {
            try {
                await reorder({ propertyId, orderedImageIds });
            }
            catch (error) {
                this.showError('The new order could not be saved', error);
                await this.load();
            }
        });
        return true;
    }
    // Drag and drop of tiles: a shortcut for mouse users; the buttons do the same from a keyboard.
    get tileDraggable() {
        return String(this.canEdit);
    }
    handleTileDragStart(event) {
        if (!this.canEdit)
            return;
        this.draggingId = event.currentTarget.dataset.id;
        if (event.dataTransfer) {
            event.dataTransfer.effectAllowed = 'move';
            // Firefox starts a drag only when it carries data.
            event.dataTransfer.setData('text/plain', this.draggingId ?? '');
        }
    }
    handleTileDragOver(event) {
        if (!this.draggingId)
            return;
        event.preventDefault();
        if (event.dataTransfer)
            event.dataTransfer.dropEffect = 'move';
    }
    handleTileDrop(event) {
        const id = this.draggingId;
        this.draggingId = undefined;
        if (!id)
            return;
        event.preventDefault();
        const target = event.currentTarget.dataset.id;
        const to = this.visibleImages.findIndex((i) => i.id === target);
        if (to >= 0)
            this.moveTo(id, to);
    }
    handleTileDragEnd() {
        this.draggingId = undefined;
    }
    // ---- captions ----
    handleEditCaption(event) {
        const id = event.currentTarget.dataset.id;
        const image = this.images.find((i) => i.id === id);
        if (!image || !this.canEdit)
            return;
        this.editingId = id;
        this.captionDraft = image.caption ?? '';
        this.captionError = '';
        this.focusTarget = `input[data-id="${id}"]`;
    }
    handleCaptionInput(event) {
        this.captionDraft = event.target.value;
        if (this.captionError)
            this.captionError = '';
    }
    handleCaptionKeydown(event) {
        if (event.key === 'Enter') {
            event.preventDefault();
            this.saveCaption();
        }
        else if (event.key === 'Escape') {
            event.preventDefault();
            event.stopPropagation();
            this.cancelCaption();
        }
    }
    handleCaptionSave() {
        this.saveCaption();
    }
    handleCaptionCancel() {
        this.cancelCaption();
    }
    cancelCaption() {
        const id = this.editingId;
        this.editingId = undefined;
        this.captionError = '';
        if (id)
            this.focusTarget = `[data-id="${id}"][data-action="edit-caption"]`;
    }
    async saveCaption() {
        const imageId = this.editingId;
        if (!imageId || this.savingCaption)
            return;
        const caption = this.captionDraft.trim();
        if (caption.length > MAX_CAPTION_LENGTH) {
            this.captionError = `A caption can be at most ${MAX_CAPTION_LENGTH} characters (this one has ${caption.length}).`;
            this.focusTarget = `input[data-id="${imageId}"]`;
            return;
        }
        this.savingCaption = true;
        try {
            await setCaption({ imageId, caption });
            this.images = this.images.map((i) => {
                return i.id === imageId ? { ...i, caption: caption || null } : i;
            });
            this.editingId = undefined;
            this.announcement = caption ? 'Caption saved.' : 'Caption removed.';
            this.focusTarget = `[data-id="${imageId}"][data-action="edit-caption"]`;
        }
        catch (error) {
            this.captionError = `The caption could not be saved: ${messageOf(error)}`;
        }
        finally {
            this.savingCaption = false;
        }
    }
    // ---- delete ----
    async handleDelete(event) {
        const id = event.currentTarget.dataset.id;
        const image = this.images.find((i) => i.id === id);
        if (!image || !this.canEdit)
            return;
        const confirmed = await confirmAction({
            label: 'Delete image',
            message: `Delete ${image.fileName}? It is removed from the listing and from storage; this cannot be undone.`,
            variant: 'header',
            theme: 'warning'
        });
        if (!confirmed)
            return;
        try {
            await deleteImage({ imageId: id });
        }
        catch (error) {
            this.showError(`${image.fileName} could not be deleted`, error);
            return;
        }
        const index = this.visibleImages.findIndex((i) => i.id === id);
        this.images = this.images.filter((i) => i.id !== id);
        if (this.viewerId === id)
            this.closeViewer(false);
        this.announcement = `${image.fileName} deleted.`;
        Toast.show({ label: 'Image deleted', message: image.fileName, variant: 'success' }, this);
        // Focus moves to the image that took its place, or the one before, or the drop zone.
        const visible = this.visibleImages;
        const next = visible[Math.min(index, visible.length - 1)];
        this.focusTarget = next ? `[data-id="${next.id}"][data-action="delete"]` : '.file-input';
    }
    // ---- full-size viewer ----
    /** The images the viewer steps through: those with a full-size URL. */
    get viewable() {
        return this.visibleImages.filter((i) => i.status === 'Available' && !!i.url);
    }
    get viewerOpen() {
        return !!this.viewerImage;
    }
    get viewerImage() {
        return this.viewerId ? this.viewable.find((i) => i.id === this.viewerId) : undefined;
    }
    get viewerAlt() {
        return this.viewerImage ? altText(this.viewerImage) : '';
    }
    get viewerCaption() {
        return this.viewerImage?.caption ?? '';
    }
    get viewerPosition() {
        const list = this.viewable;
        const index = list.findIndex((i) => i.id === this.viewerId);
        return `${index + 1} of ${list.length}`;
    }
    get viewerSingle() {
        return this.viewable.length < 2;
    }
    handleView(event) {
        const id = event.currentTarget.dataset.id;
        this.viewerOpener = `[data-id="${id}"][data-action="view"]`;
        this.viewerId = id;
        this.focusTarget = '.viewer-close';
    }
    handleViewerClose() {
        this.closeViewer(true);
    }
    handleViewerNext() {
        this.step(1);
    }
    handleViewerPrevious() {
        this.step(-1);
    }
    step(delta) {
        const list = this.viewable;
        const index = list.findIndex((i) => i.id === this.viewerId);
        if (index < 0 || list.length === 0)
            return;
        const next = list[(index + delta + list.length) % list.length];
        this.viewerId = next.id;
        // The opener follows the viewer: closing returns focus to the image now shown.
        this.viewerOpener = `[data-id="${next.id}"][data-action="view"]`;
        this.announcement = `${altText(next)}, ${this.viewerPosition}.`;
    }
    closeViewer(restoreFocus) {
        this.viewerId = undefined;
        if (restoreFocus && this.viewerOpener)
            this.focusTarget = this.viewerOpener;
        this.viewerOpener = undefined;
    }
    /** Escape closes, arrows step, Tab stays inside the dialog (it is modal). */
    handleViewerKeydown(event) {
        if (event.key === 'Escape') {
            event.preventDefault();
            this.closeViewer(true);
        }
        else if (event.key === 'ArrowRight') {
            event.preventDefault();
            this.step(1);
        }
        else if (event.key === 'ArrowLeft') {
            event.preventDefault();
            this.step(-1);
        }
        else if (event.key === 'Tab') {
            const focusable = Array.from(this.template?.querySelectorAll('.viewer .viewer-control:not([disabled])') ??
                []);
            const first = focusable[0];
            const last = focusable[focusable.length - 1];
            if (!first || !last)
                return;
            const active = this.template?.activeElement;
            if (event.shiftKey && active === first) {
                event.preventDefault();
                last.focus();
            }
            else if (!event.shiftKey && active === last) {
                event.preventDefault();
                first.focus();
            }
        }
    }
    // ---- helpers ----
    countSentence() {
        const count = this.visibleImages.length;
        return count === 0 ? 'No images yet.' : `${count} ${count === 1 ? 'image' : 'images'}.`;
    }
    showError(label, error) {
        const message = messageOf(error);
        this.announcement = `${label}: ${message}`;
        Toast.show({ label, message, variant: 'error' }, this);
    }
}
