/**
 * Sends the file's bytes straight to storage with the presigned request of an upload ticket, so
 * the image never passes through Salesforce. XMLHttpRequest rather than fetch because only it
 * reports upload progress. The headers are exactly the ticket's: the signature covers them
 * (Content-Type, If-None-Match and the SHA-256 checksum), and any other header would break it.
 * If-None-Match: * makes the PUT conditional, so storage answers 412 instead of replacing a
 * stored file; the caller decides what a 412 means.
 * @param onProgress whole percent sent, 0-100.
 */
export function putToStorage(ticket, file, onProgress) {
    return new Promise((resolve) => {
        const xhr = new XMLHttpRequest();
        xhr.open(ticket.method || 'PUT', ticket.uploadUrl);
        for (const [name, value] of Object.entries(ticket.headers ?? {})) {
            xhr.setRequestHeader(name, value);
        }
        xhr.upload.onprogress = (event) => {
            if (event.lengthComputable && event.total > 0) {
                onProgress(Math.min(100, Math.floor((event.loaded / event.total) * 100)));
            }
        };
        xhr.onload = () => resolve({ status: xhr.status });
        xhr.onerror = () => resolve({ status: 0, networkError: true });
        xhr.onabort = () => resolve({ status: 0, networkError: true });
        xhr.ontimeout = () => resolve({ status: 0, networkError: true });
        xhr.send(file);
    });
}
