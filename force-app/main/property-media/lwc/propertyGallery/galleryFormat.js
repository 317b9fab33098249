/** Text the gallery shows: sizes, alternative text, statuses. */
const UNITS = ['bytes', 'KB', 'MB', 'GB'];
/** A byte count for people: 1024-based, one decimal above bytes (20971520 -> "20 MB"). */
export function formatBytes(bytes) {
    let value = bytes;
    let unit = 0;
    while (value >= 1024 && unit < UNITS.length - 1) {
        value /= 1024;
        unit += 1;
    }
    const shown = unit === 0 ? String(value) : String(Math.round(value * 10) / 10);
    return `${shown} ${UNITS[unit]}`;
}
/** An image's alternative text: its caption when it has one, its file name otherwise. */
export function altText(image) {
    const caption = image.caption?.trim();
    return caption ? caption : image.fileName;
}
/** The label of an image's status in the grid (Available images show no label). */
export function statusText(image) {
    if (image.status === 'Failed') {
        return image.failureReason ? `Failed: ${image.failureReason}` : 'Failed';
    }
    if (image.status === 'Uploading')
        return 'Upload not finished';
    return '';
}
/** Refresh this long before the view URLs expire, so an image never loads from a dead URL. */
export const REFRESH_MARGIN_MS = 30_000;
/** Never refresh more often than this, whatever expiresAt says (a skewed clock cannot loop). */
export const MIN_REFRESH_MS = 15_000;
/**
 * Milliseconds until the gallery must fetch new view URLs, or undefined when nothing expires
 * (no expiresAt: no Available image has a URL).
 */
export function refreshDelay(expiresAt, now) {
    if (!expiresAt)
        return undefined;
    const at = Date.parse(expiresAt);
    if (Number.isNaN(at))
        return undefined;
    return Math.max(MIN_REFRESH_MS, at - now - REFRESH_MARGIN_MS);
}
