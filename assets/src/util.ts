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

// The host name of an authority (`host[:port]`), lower-case, without the root's dot.
export function hostOf(authority: string): string {
  const a = authority.trim().toLowerCase();
  if (a.startsWith('[')) return a.slice(0, a.indexOf(']') + 1) || a;
  return a.replace(/:\d*$/, '').replace(/\.$/, '');
}

// Whether a server is in a list of hosts (itself or a domain above it), as the server matches.
export function hostListed(list: string[], authority: string): boolean {
  const host = hostOf(authority);
  return list.some((h) => host === h || host.endsWith('.' + h));
}

// The list with the server added, or with every entry that covers it removed.
export function toggleHost(list: string[], authority: string): string[] {
  const host = hostOf(authority);
  return hostListed(list, authority) ? list.filter((h) => !hostListed([h], host)) : [...list, host];
}
