import { CONTENT_TYPES, MAX_BYTES } from './mediaLimits';
import { formatBytes } from './galleryFormat';
const TYPE_NAMES = 'JPEG, PNG or WebP';
/**
 * Checks one chosen file against the media service's limits before anything is hashed or sent.
 * The browser's `type` comes from the file name's extension; the media service checks the bytes
 * again on confirm, so this only turns away what would certainly be refused.
 */
export function validateFile(file) {
    if (!CONTENT_TYPES.includes(file.type)) {
        const shown = file.type ? ` (${file.type})` : '';
        return {
            valid: false,
            message: `${file.name} is not a supported image type${shown}. Choose a ${TYPE_NAMES} image.`
        };
    }
    if (file.size <= 0) {
        return { valid: false, message: `${file.name} is empty.` };
    }
    if (file.size > MAX_BYTES) {
        return {
            valid: false,
            message: `${file.name} is ${formatBytes(file.size)}; images can be at most ${formatBytes(MAX_BYTES)}.`
        };
    }
    return { valid: true };
}
/** The `accept` attribute of the file input: the same whitelist. */
export const ACCEPT = CONTENT_TYPES.join(',');
