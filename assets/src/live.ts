// Live changes of notes on screen (reactions, votes, deletion) through the stream's subNote.
import { watch } from 'vue';
import { stream } from './api';

type Update = { type: string; body: any };
const handlers = new Map<string, Set<(u: Update) => void>>();

watch(stream, (s) => {
  if (!s) return;
  s.on('noteUpdated' as any, (e: { id: string; type: string; body: any }) => {
    handlers.get(e.id)?.forEach((h) => h(e));
  });
  // A new stream (signed in or out), and the same one reconnected, must hear about the notes
  // already on screen.
  const resubscribe = () => { for (const id of handlers.keys()) s.send('subNote', { id }); };
  resubscribe();
  s.on('_connected_', resubscribe);
}, { immediate: true });

// Subscriptions wait for an idle moment: a page of notes renders first, then asks for its
// updates in one go (a note gone before then is never subscribed).
const pending = new Set<string>();
let flushing = false;
const idle: (f: () => void) => void =
  typeof requestIdleCallback === 'function' ? (f) => requestIdleCallback(f, { timeout: 1000 }) : (f) => setTimeout(f, 50);
function flush() {
  flushing = false;
  for (const id of pending) if (handlers.has(id)) stream.value?.send('subNote', { id });
  pending.clear();
}

export function watchNote(id: string, h: (u: Update) => void): () => void {
  let set = handlers.get(id);
  if (!set) {
    set = new Set();
    handlers.set(id, set);
    pending.add(id);
    if (!flushing) { flushing = true; idle(flush); }
  }
  set.add(h);
  return () => {
    set!.delete(h);
    if (!set!.size) {
      handlers.delete(id);
      if (!pending.delete(id)) stream.value?.send('unsubNote', { id });
    }
  };
}
