import { t } from './i18n';

/** "5m", "3h", or a date for anything older than a week. */
export function relativeTime(iso: string, now = Date.now()): string {
  const then = Date.parse(iso);
  if (!Number.isFinite(then)) return '';
  const s = Math.max(0, Math.round((now - then) / 1000));
  if (s < 10) return t('time.now');
  if (s < 60) return t('time.s', { n: s });
  if (s < 3600) return t('time.m', { n: Math.floor(s / 60) });
  if (s < 86400) return t('time.h', { n: Math.floor(s / 3600) });
  if (s < 7 * 86400) return t('time.d', { n: Math.floor(s / 86400) });
  return new Date(then).toLocaleDateString();
}

/** Characters as Misskey counts them for the 3000 limit (code points). */
export function length(text: string): number {
  return [...text].length;
}

/** `@alice` or `@alice@example.com` → the `users/show` parameters. */
export function parseAcct(acct: string): { username: string; host: string | null } {
  const [username, host] = acct.replace(/^@/, '').split('@');
  return { username, host: host || null };
}
