/**
 * The lowercase hex SHA-256 of a file, computed in the browser with Web Crypto. Apex sends it to
 * the media service, which binds it into the presigned PUT (x-amz-checksum-sha256), so storage
 * itself refuses bytes that differ from the ones hashed here.
 */
export async function sha256Hex(file: Blob): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', await readBytes(file));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** The bytes of a Blob; through FileReader where Blob.arrayBuffer is missing (older engines). */
function readBytes(file: Blob): Promise<ArrayBuffer> {
  if (typeof file.arrayBuffer === 'function') return file.arrayBuffer();
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result as ArrayBuffer);
    reader.onerror = () => reject(reader.error ?? new Error('The file could not be read.'));
    reader.readAsArrayBuffer(file);
  });
}
