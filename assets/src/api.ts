// The one door to the server: misskey-js's API client and stream, the signed-in account and
// the instance's meta. Every screen goes through here, so every screen is also a check that the
// server answers as Misskey does.
import * as Misskey from 'misskey-js';
import { reactive, shallowRef } from 'vue';

const TOKEN = 'mkrs:token';
export const origin = location.origin;

export type Note = Misskey.entities.Note;
export type User = Misskey.entities.UserLite & Partial<Misskey.entities.UserDetailed>;
export type Meta = Misskey.entities.MetaDetailed & { requireSetup?: boolean };

export const state = reactive({
  token: localStorage.getItem(TOKEN) as string | null,
  me: null as Misskey.entities.MeDetailed | null,
  meta: null as Meta | null,
  /** Custom emoji of this server by name. */
  emojis: new Map<string, string>(),
  /** The last failure worth showing everywhere (network lost, maintenance, rate limit). */
  trouble: null as string | null,
  unreadNotifications: 0,
});

export const stream = shallowRef<Misskey.Stream | null>(null);

/** A failure the UI can explain: the server's error object or a network failure. */
export class Failure extends Error {
  constructor(public code: string, message: string, public id = '', public status = 0) {
    super(message);
  }
}

function failure(e: unknown): Failure {
  if (e && typeof e === 'object' && 'code' in e && 'message' in e) {
    const a = e as Misskey.api.APIError;
    return new Failure(a.code, a.message, a.id);
  }
  return new Failure('NETWORK', e instanceof Error ? e.message : String(e));
}

// misskey-js answers a non-JSON reply (a proxy's 502, a 503 page) with a parse error: keep the
// status so the message can say what happened.
let lastStatus = 0;
const fetchWithStatus: typeof fetch = async (input, init) => {
  const res = await fetch(input, init);
  lastStatus = res.status;
  return res;
};
let client = new Misskey.api.APIClient({ origin, credential: state.token, fetch: fetchWithStatus as any });

/** Calls an endpoint; failures become `Failure`s (and the shared trouble line when global). */
export async function api<T = any>(endpoint: string, params: Record<string, unknown> = {}): Promise<T> {
  try {
    const r = await (client as any).request(endpoint, params);
    state.trouble = null;
    return r as T;
  } catch (e) {
    const f = failure(e);
    if (f.code === 'NETWORK') {
      f.status = lastStatus;
      state.trouble = lastStatus === 503 ? 'trouble.maintenance' : 'trouble.network';
    } else if (f.code === 'RATE_LIMIT_EXCEEDED') {
      state.trouble = 'trouble.rateLimited';
    } else if ((f.code === 'AUTHENTICATION_FAILED' || f.code === 'CREDENTIAL_REQUIRED') && state.token) {
      // The token was revoked or regenerated elsewhere.
      signOut();
    }
    throw f;
  }
}

/** Uploads a file to the drive with progress; answers the DriveFile. */
export function upload(file: File, onProgress: (fraction: number) => void, folderId?: string | null): Promise<Misskey.entities.DriveFile> {
  return new Promise((resolve, reject) => {
    const form = new FormData();
    form.append('file', file);
    form.append('name', file.name);
    if (folderId) form.append('folderId', folderId);
    const xhr = new XMLHttpRequest();
    xhr.open('POST', `${origin}/api/drive/files/create`);
    if (state.token) xhr.setRequestHeader('Authorization', `Bearer ${state.token}`);
    xhr.upload.onprogress = (ev) => ev.lengthComputable && onProgress(ev.loaded / ev.total);
    xhr.onload = () => {
      let body: any = null;
      try { body = JSON.parse(xhr.responseText); } catch { /* not JSON */ }
      if (xhr.status === 200 && body) resolve(body);
      else reject(body?.error ? failure(body.error) : new Failure('NETWORK', `HTTP ${xhr.status}`, '', xhr.status));
    };
    xhr.onerror = () => reject(new Failure('NETWORK', 'network error'));
    xhr.send(form);
  });
}

function connect() {
  stream.value?.close();
  stream.value = new Misskey.Stream(origin, state.token ? { token: state.token } : null);
}

export async function loadMeta() {
  state.meta = await api<Meta>('meta', { detail: true });
  try {
    const r = await api<{ emojis: { name: string; url: string }[] }>('emojis');
    state.emojis = new Map(r.emojis.map((e) => [e.name, e.url]));
  } catch { /* the emoji list is a nicety */ }
}

/** Starts with the stored token (if any): loads the account and opens the stream. */
export async function start() {
  await loadMeta();
  if (state.token) {
    try {
      state.me = await api('i');
      state.unreadNotifications = (state.me as any).hasUnreadNotification ? 1 : 0;
    } catch (e) {
      if (e instanceof Failure && e.code !== 'NETWORK') signOut();
      else throw e;
    }
  }
  connect();
}

export async function signIn(token: string) {
  state.token = token;
  localStorage.setItem(TOKEN, token);
  client = new Misskey.api.APIClient({ origin, credential: token, fetch: fetchWithStatus as any });
  state.me = await api('i');
  connect();
}

export function signOut() {
  state.token = null;
  state.me = null;
  localStorage.removeItem(TOKEN);
  client = new Misskey.api.APIClient({ origin, credential: null, fetch: fetchWithStatus as any });
  connect();
}

/** Whether the signed-in account is a moderator or an administrator. */
export function isStaff(): boolean {
  return !!(state.me?.isAdmin || state.me?.isModerator);
}

export function acct(u: { username: string; host?: string | null }): string {
  return u.host ? `@${u.username}@${u.host}` : `@${u.username}`;
}

export function userPath(u: { username: string; host?: string | null }): string {
  return `/${acct(u)}`;
}
