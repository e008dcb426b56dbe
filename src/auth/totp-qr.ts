import QRCode from 'qrcode';

/**
 * Inline SVG, rendered on our side: the URI carries the TOTP secret, so it must never be sent to
 * an external QR service.
 */
export function totpQrSvg(uri: string): Promise<string> {
  // Medium error correction keeps the code scannable from a screen without making it dense.
  return QRCode.toString(uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
}
