// A normal session through the misskey-js SDK, as a client app would run it: open registration,
// sign up two users, follow, post, reply, react, read timelines and notifications, see an error
// object. Usage: node sdk.mjs ORIGIN ADMIN_TOKEN. Exits non-zero with the failed check.
import * as Misskey from 'misskey-js';
import assert from 'node:assert/strict';

const [origin, adminToken] = process.argv.slice(2);
const anon = new Misskey.api.APIClient({ origin });
const admin = new Misskey.api.APIClient({ origin, credential: adminToken });
const step = (name) => console.log(`ok - ${name}`);

await admin.request('admin/update-meta', { disableRegistration: false });
const meta = await anon.request('meta', { detail: false });
assert.equal(meta.disableRegistration, false);
step('registration opened by the administrator');

const alice = await anon.request('signup', { username: 'sdk_alice', password: 'alice-password' });
// signup allows one call per second from an address, as on Misskey.
await new Promise((r) => setTimeout(r, 1100));
const bob = await anon.request('signup', { username: 'sdk_bob', password: 'bob-password' });
assert.equal(alice.username, 'sdk_alice');
assert.equal(typeof alice.token, 'string');
step('two users signed up');

const signin = await anon.request('signin-flow', { username: 'sdk_bob', password: 'bob-password' });
assert.equal(signin.finished, true);
assert.equal(signin.i, bob.token);
const a = new Misskey.api.APIClient({ origin, credential: alice.token });
const b = new Misskey.api.APIClient({ origin, credential: signin.i });
const me = await b.request('i', {});
assert.equal(me.id, bob.id);
step('bob signed in and read himself');

await b.request('following/create', { userId: alice.id });
const rel = await b.request('users/relation', { userId: alice.id });
assert.equal(rel.isFollowing, true);
step('bob follows alice');

const { createdNote: note } = await a.request('notes/create', { text: 'hello from the SDK @sdk_bob #misskey' });
assert.deepEqual(note.tags, ['misskey']);
assert.deepEqual(note.mentions, [bob.id]);
const { createdNote: reply } = await b.request('notes/create', { text: 'hi alice', replyId: note.id });
assert.equal(reply.reply.id, note.id);
const { createdNote: followersOnly } = await a.request('notes/create', { text: 'for followers', visibility: 'followers' });
step('alice posted, bob replied');

await b.request('notes/reactions/create', { noteId: note.id, reaction: '👍' });
const shown = await b.request('notes/show', { noteId: note.id });
assert.deepEqual(shown.reactions, { '👍': 1 });
assert.equal(shown.myReaction, '👍');
assert.equal(shown.repliesCount, 1);
step('bob reacted');

const home = await b.request('notes/timeline', { limit: 20 });
const ids = home.map((n) => n.id);
assert.ok(ids.includes(note.id), 'home timeline has alice\'s note');
assert.ok(ids.includes(followersOnly.id), 'home timeline has the followers-only note');
const local = await anon.request('notes/local-timeline', { limit: 20 });
assert.ok(local.some((n) => n.id === note.id));
assert.ok(!local.some((n) => n.id === followersOnly.id), 'followers-only stays out of the local timeline');
const hybrid = await b.request('notes/hybrid-timeline', { limit: 20 });
assert.ok(hybrid.some((n) => n.id === followersOnly.id));
const older = await b.request('notes/timeline', { limit: 1, untilId: home[0].id });
assert.equal(older.length, 1);
assert.ok(older[0].id < home[0].id);
step('timelines: home, local, hybrid, pagination');

const notes = await a.request('i/notifications', { limit: 20 });
const types = notes.map((n) => n.type).sort();
assert.deepEqual(types, ['follow', 'reaction', 'reply']);
const reaction = notes.find((n) => n.type === 'reaction');
assert.equal(reaction.reaction, '👍');
assert.equal(reaction.user.id, bob.id);
const bobs = await b.request('i/notifications', { limit: 20 });
assert.deepEqual(bobs.map((n) => n.type), ['mention', 'login']);
const grouped = await a.request('i/notifications-grouped', { limit: 20 });
assert.ok(grouped.length >= 3);
step('notifications: follow, reply, reaction, mention, login');

await assert.rejects(a.request('notes/show', { noteId: 'nonexistent0000' }), (e) => {
  assert.ok(Misskey.api.isAPIError(e), 'rejection is an APIError');
  assert.equal(e.code, 'NO_SUCH_NOTE');
  assert.equal(e.kind, 'client');
  return true;
});
await assert.rejects(anon.request('notes/create', { text: 'who am I' }), (e) => e.code === 'CREDENTIAL_REQUIRED');
step('errors arrive as misskey-js APIError');

await b.request('notes/reactions/delete', { noteId: note.id });
await b.request('following/delete', { userId: alice.id });
const after = await b.request('notes/timeline', { limit: 20 });
assert.ok(!after.some((n) => n.id === followersOnly.id), 'unfollowed: followers-only note gone');
step('unreact and unfollow');
