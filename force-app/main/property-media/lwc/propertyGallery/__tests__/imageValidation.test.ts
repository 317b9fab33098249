import { validateFile } from '../imageValidation';
import { MAX_BYTES } from '../mediaLimits';

describe('validateFile', () => {
  it.each(['image/jpeg', 'image/png', 'image/webp'])('accepts %s', (type) => {
    expect(validateFile({ name: 'a', type, size: 10 })).toEqual({ valid: true });
  });

  it.each([
    [
      'image/gif',
      'photo.gif is not a supported image type (image/gif). Choose a JPEG, PNG or WebP image.'
    ],
    [
      'image/heic',
      'photo.gif is not a supported image type (image/heic). Choose a JPEG, PNG or WebP image.'
    ],
    ['', 'photo.gif is not a supported image type. Choose a JPEG, PNG or WebP image.']
  ])('refuses type %j naming the file and the allowed types', (type, message) => {
    expect(validateFile({ name: 'photo.gif', type, size: 10 })).toEqual({ valid: false, message });
  });

  it('accepts a file of exactly the maximum size and refuses one byte more', () => {
    expect(validateFile({ name: 'big.jpg', type: 'image/jpeg', size: MAX_BYTES }).valid).toBe(true);
    expect(validateFile({ name: 'big.jpg', type: 'image/jpeg', size: MAX_BYTES + 1 })).toEqual({
      valid: false,
      message: 'big.jpg is 20 MB; images can be at most 20 MB.'
    });
  });

  it('says how large a too-large file is', () => {
    const result = validateFile({ name: 'huge.png', type: 'image/png', size: 31 * 1024 * 1024 });
    expect(result).toEqual({
      valid: false,
      message: 'huge.png is 31 MB; images can be at most 20 MB.'
    });
  });

  it('refuses an empty file', () => {
    expect(validateFile({ name: 'empty.jpg', type: 'image/jpeg', size: 0 })).toEqual({
      valid: false,
      message: 'empty.jpg is empty.'
    });
  });
});
