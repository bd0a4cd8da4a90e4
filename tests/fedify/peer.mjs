// A Fedify peer (an ActivityPub implementation this project did not write) for
// tests/federation_fedify.rs. It serves one actor, `fedi`, on http://localhost:PORT and
// exchanges follows, notes and reactions with a misskey-rs user; every activity it receives
// passes Fedify's own HTTP Signature verification first (unverified ones never reach the
// listeners). Prints one JSON object with what happened, then exits.
// Usage: node peer.mjs PORT MISSKEY_BASE ALICE_TOKEN ALICE_ACTOR_URI
import http from 'node:http';
import {
  createFederation, MemoryKvStore, Person, Endpoints, Follow, Accept, Create, Note, Like,
  EmojiReact, generateCryptoKeyPair, PUBLIC_COLLECTION,
} from '@fedify/fedify';

const [, , port, mkBase, token, aliceUri] = process.argv;
const base = `http://localhost:${port}`;
const got = [];
const keys = await generateCryptoKeyPair('RSASSA-PKCS1-v1_5');

const federation = createFederation({ kv: new MemoryKvStore(), allowPrivateAddress: true });
federation
  .setActorDispatcher('/users/{identifier}', async (ctx, identifier) => {
    if (identifier !== 'fedi') return null;
    const pairs = await ctx.getActorKeyPairs(identifier);
    return new Person({
      id: ctx.getActorUri(identifier),
      preferredUsername: identifier,
      name: 'Fedify peer',
      inbox: ctx.getInboxUri(identifier),
      endpoints: new Endpoints({ sharedInbox: ctx.getInboxUri() }),
      publicKey: pairs[0].cryptographicKey,
    });
  })
  .setKeyPairsDispatcher(async () => [keys]);
federation
  .setInboxListeners('/users/{identifier}/inbox', '/inbox')
  .on(Accept, async (_ctx, a) => { got.push({ type: 'Accept', actor: a.actorId?.href }); })
  .on(Create, async (_ctx, c) => {
    const o = await c.getObject();
    got.push({ type: 'Create', id: o?.id?.href, content: o?.content?.toString() });
  })
  .on(Like, async (_ctx, l) => { got.push({ type: 'Like', object: l.objectId?.href, content: l.content?.toString() }); })
  .on(EmojiReact, async (_ctx, l) => { got.push({ type: 'Like', object: l.objectId?.href, content: l.content?.toString() }); });

const server = http.createServer(async (req, res) => {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  const hasBody = !['GET', 'HEAD'].includes(req.method);
  const request = new Request(new URL(req.url, base), {
    method: req.method,
    headers: Object.entries(req.headers).flatMap(([k, v]) => (Array.isArray(v) ? v.map((x) => [k, x]) : [[k, v]])),
    body: hasBody ? Buffer.concat(chunks) : undefined,
  });
  const response = await federation.fetch(request, {
    contextData: undefined,
    onNotFound: () => new Response('not found', { status: 404 }),
    onNotAcceptable: () => new Response('not acceptable', { status: 406 }),
  });
  res.writeHead(response.status, Object.fromEntries(response.headers));
  res.end(Buffer.from(await response.arrayBuffer()));
});
await new Promise((r) => server.listen(Number(port), '127.0.0.1', r));

const api = async (endpoint, body) => {
  const r = await fetch(`${mkBase}/api/${endpoint}`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ i: token, ...body }),
  });
  const text = await r.text();
  return text ? JSON.parse(text) : null;
};
const until = async (what, check) => {
  for (let i = 0; i < 200; i++) {
    const v = await check();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}; received: ${JSON.stringify(got)}`);
};
const result = {};
try {
  const ctx = federation.createContext(new URL(base), undefined);
  const me = ctx.getActorUri('fedi');
  const alice = await ctx.lookupObject(aliceUri);
  result.aliceResolved = alice?.id?.href === aliceUri;

  // Fedify follows alice; misskey-rs answers Accept, which Fedify verifies.
  await ctx.sendActivity({ identifier: 'fedi' }, alice,
    new Follow({ id: new URL(`${base}/follows/1`), actor: me, object: alice.id }));
  result.accepted = !!(await until('Accept', () => got.find((g) => g.type === 'Accept' && g.actor === aliceUri)));

  // Alice posts: the Create reaches Fedify.
  await api('notes/create', { text: 'hello **fedify**' });
  const create = await until('Create from alice', () => got.find((g) => g.type === 'Create' && g.content?.includes('fedify')));
  result.noteReceived = create.content;

  // Fedify posts to alice: misskey-rs stores the note and shows it.
  const noteId = new URL(`${base}/notes/1`);
  await ctx.sendActivity({ identifier: 'fedi' }, alice, new Create({
    id: new URL(`${base}/creates/1`), actor: me, to: PUBLIC_COLLECTION,
    object: new Note({ id: noteId, attribution: me, content: '<p>hi from fedify</p>', to: PUBLIC_COLLECTION }),
  }));
  const stored = await until('the note at misskey-rs', async () => {
    const tl = await api('notes/global-timeline', {});
    return Array.isArray(tl) && tl.find((n) => n.uri === noteId.href);
  });
  result.noteStored = stored.text;

  // Alice reacts to it: Fedify receives the Like.
  await api('notes/reactions/create', { noteId: stored.id, reaction: '👍' });
  const like = await until('Like', () => got.find((g) => g.type === 'Like' && g.object === noteId.href));
  result.likeReceived = like.content;

  // Fedify likes alice's note: misskey-rs counts the reaction.
  await ctx.sendActivity({ identifier: 'fedi' }, alice, new Like({
    id: new URL(`${base}/likes/1`), actor: me, object: new URL(create.id),
  }));
  const aliceNoteId = create.id.split('/').pop();
  result.likeStored = await until('the reaction at misskey-rs', async () => {
    const n = await api('notes/show', { noteId: aliceNoteId });
    return n && Object.keys(n.reactions ?? {}).length > 0 ? n.reactions : null;
  });
} catch (e) {
  result.error = String(e?.stack ?? e);
}
console.log(JSON.stringify(result));
server.close();
process.exit(0);
