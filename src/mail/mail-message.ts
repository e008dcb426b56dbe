/** A moment as mails state it: to the minute, in UTC, e.g. "2026-12-01 06:10 UTC". */
export const utcMinute = (date: Date) => `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
}
