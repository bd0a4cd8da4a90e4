// The streaming API through misskey-js's own Stream class, as every Misskey client uses it.
// Usage: node stream.mjs ORIGIN ALICE_TOKEN BOB_TOKEN (bob follows
// alice). Prints `ok - …` lines, then `SAMPLES <json>`: what arrived, for the type check.
import * as Misskey from 'misskey-js';
import assert from 'node:assert/strict';
import WebSocket from 'ws';

const [origin, aliceToken, bobToken] = process.argv.slice(2);
const a = new Misskey.api.APIClient({ origin, credential: aliceToken });
const b = new Misskey.api.APIClient({ origin, credential: bobToken });
const step = (name) => console.log(`ok - ${name}`);
const within = (ms, what, p) =>
  Promise.race([p, new Promise((_, reject) => setTimeout(() => reject(new Error(`no ${what} within ${ms} ms`)), ms))]);
const once = (emitter, event, pred = () => true) =>
  new Promise((resolve) => {
    const f = (x) => {
      if (pred(x)) {
        emitter.off(event, f);
        resolve(x);
      }
    };
    emitter.on(event, f);
  });

const bobStream = new Misskey.Stream(origin, { token: bobToken }, { WebSocket });
const aliceStream = new Misskey.Stream(origin, { token: aliceToken }, { WebSocket });
await within(5000, 'connection', Promise.all([once(bobStream, '_connected_'), once(aliceStream, '_connected_')]));
const home = bobStream.useChannel('homeTimeline', { withRenotes: true, withFiles: false });
const bobMain = bobStream.useChannel('main');
const aliceMain = aliceStream.useChannel('main');
// The server acknowledges nothing for channels joined without `pong`; give the frames a moment.
await new Promise((r) => setTimeout(r, 300));
step('two streams open, channels joined');

const t0 = Date.now();
const noteArrives = once(home, 'note', (n) => n.text === 'streamed through misskey-js @bob');
const mentionArrives = once(bobMain, 'mention');
const { createdNote } = await a.request('notes/create', { text: 'streamed through misskey-js @bob' });
const note = await within(1000, 'note on homeTimeline', noteArrives);
assert.equal(note.id, createdNote.id);
assert.equal(note.user.id, createdNote.user.id);
const mention = await within(1000, 'mention on main', mentionArrives);
assert.equal(mention.id, createdNote.id);
step(`note on homeTimeline after ${Date.now() - t0} ms, mention on main`);

aliceStream.send('subNote', { id: note.id });
await new Promise((r) => setTimeout(r, 200));
const updated = once(aliceStream, 'noteUpdated', (u) => u.id === note.id && u.type === 'reacted');
const notified = once(aliceMain, 'notification', (n) => n.type === 'reaction');
await b.request('notes/reactions/create', { noteId: note.id, reaction: '🎉' });
const u = await within(2000, 'noteUpdated', updated);
assert.equal(u.body.reaction, '🎉');
const notification = await within(2000, 'notification', notified);
assert.equal(notification.note.id, note.id);
step('reaction heard as noteUpdated by the subscriber and as a notification by the author');

const readAll = once(aliceMain, 'readAllNotifications');
aliceStream.send('readNotification', {});
await within(2000, 'readAllNotifications', readAll);
const i = await a.request('i', {});
assert.equal(i.hasUnreadNotification, false);
step('readNotification marks every notification read');

home.dispose();
bobMain.dispose();
aliceMain.dispose();
bobStream.close();
aliceStream.close();
console.log(`SAMPLES ${JSON.stringify([
  { type: 'Note', name: 'homeTimeline note', value: note },
  { type: 'Note', name: 'main mention', value: mention },
  { type: 'Notification', name: 'main notification', value: notification },
])}`);
