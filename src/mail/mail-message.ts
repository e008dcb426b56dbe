/** A moment as mails state it: to the minute, in UTC, e.g. "2026-12-01 06:10 UTC". */
export const utcMinute = (date: Date) => `${utcMinuteWithoutZone(date)} UTC`;

/** The same without its zone, "2026-12-01 06:10", for the catalogue's `time.utc` to place ("06:10 Uhr UTC"). */
export const utcMinuteWithoutZone = (date: Date) => date.toISOString().slice(0, 16).replace('T', ' ');

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
}
