// Authentication context classes Sesame asserts in the ID token's `acr`.
/** Proof of control of the email address (link or code). */
export const ACR_EMAIL = 'urn:sesame:acr:email';

/**
 * `amr` for the email factor. RFC 8176 registers no value for "a secret sent by email", so Sesame
 * uses "email" (as several providers do) rather than misreport it as "otp", which it reserves for TOTP.
 */
export const AMR_EMAIL = 'email';
