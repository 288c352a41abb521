/**
 * What a file really is, judged from its first bytes (magic numbers), because a name and a
 * Content-Type header are whatever the sender chose: an HTML page or a zip called `cat.png` must
 * never reach the model labelled image/png.
 */
import { isUtf8 } from 'node:buffer';

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const EBML_SIGNATURE = [0x1a, 0x45, 0xdf, 0xa3];

// ISO base media file brands (the `ftyp` box) that are still images rather than video.
const HEIC_BRANDS = new Set(['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis']);
const HEIF_BRANDS = new Set(['mif1', 'msf1', 'heif']);
// AVIF and other ISO BMFF images the model is not documented to read.
const UNSUPPORTED_BRANDS = new Set(['avif', 'avis']);

function startsWith(bytes: Uint8Array, signature: number[], offset = 0): boolean {
  return (
    bytes.length >= offset + signature.length && signature.every((byte, i) => bytes[offset + i] === byte)
  );
}

function ascii(bytes: Uint8Array, start: number, end: number): string {
  return bytes.length >= end ? Buffer.from(bytes.subarray(start, end)).toString('latin1') : '';
}

/**
 * The media MIME type the bytes carry: png, jpeg, gif, webp, heic/heif, mp4, quicktime (mov),
 * webm, mpeg. Undefined for anything else (HTML, zip, PDF, truncated headers, …).
 */
export function sniffMediaType(bytes: Uint8Array): string | undefined {
  if (startsWith(bytes, PNG_SIGNATURE)) return 'image/png';
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return 'image/jpeg';
  const head6 = ascii(bytes, 0, 6);
  if (head6 === 'GIF87a' || head6 === 'GIF89a') return 'image/gif';
  if (ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 12) === 'WEBP') return 'image/webp';
  if (ascii(bytes, 4, 8) === 'ftyp') return isoMediaType(ascii(bytes, 8, 12));
  if (startsWith(bytes, EBML_SIGNATURE)) return 'video/webm';
  if (startsWith(bytes, [0x00, 0x00, 0x01, 0xba]) || startsWith(bytes, [0x00, 0x00, 0x01, 0xb3])) {
    return 'video/mpeg';
  }
  return undefined;
}

function isoMediaType(brand: string): string | undefined {
  if (HEIC_BRANDS.has(brand)) return 'image/heic';
  if (HEIF_BRANDS.has(brand)) return 'image/heif';
  if (UNSUPPORTED_BRANDS.has(brand) || brand.length < 4) return undefined;
  return brand === 'qt  ' ? 'video/quicktime' : 'video/mp4';
}

/** True when the bytes are valid UTF-8 (a BOM is fine): the one test a text attachment must pass. */
export function isUtf8Text(bytes: Uint8Array): boolean {
  return isUtf8(bytes);
}
