// MFM to Vue nodes, from mfm-js's tree (never HTML strings: nothing a note says becomes markup).
import * as mfm from 'mfm-js';
import { h, type VNode } from 'vue';
import { RouterLink } from 'vue-router';
import { state, userPath } from './api';
import { prefs } from './prefs';

export type EmojiMap = Record<string, string> | undefined;

const animated = new Set(['tada', 'jelly', 'twitch', 'shake', 'spin', 'jump', 'bounce', 'rainbow', 'sparkle']);
const colour = /^[0-9a-f]{3,6}$/i;

/** The URL of a custom emoji: the note's own (remote) map first, then this server's. */
export function emojiUrl(name: string, emojis: EmojiMap): string | null {
  return emojis?.[name] ?? state.emojis.get(name) ?? null;
}

function num(v: string | true | undefined, fallback: number, min: number, max: number): number {
  const n = typeof v === 'string' ? parseFloat(v) : NaN;
  return Number.isFinite(n) ? Math.min(max, Math.max(min, n)) : fallback;
}

function fn(node: mfm.MfmFn, children: VNode[]): VNode {
  const a = node.props.args;
  const speed = typeof a.speed === 'string' && /^\d+(\.\d+)?s$/.test(a.speed) ? a.speed : undefined;
  const style: Record<string, string> = {};
  let cls = `mfm-${node.props.name}`;
  switch (node.props.name) {
    case 'flip':
      style.transform = a.h && a.v ? 'scale(-1,-1)' : a.v ? 'scaleY(-1)' : 'scaleX(-1)';
      break;
    case 'x2': case 'x3': case 'x4':
      style.fontSize = { x2: '200%', x3: '400%', x4: '600%' }[node.props.name]!;
      break;
    case 'scale':
      style.transform = `scale(${num(a.x, 1, -5, 5)}, ${num(a.y, 1, -5, 5)})`;
      break;
    case 'position':
      style.transform = `translate(${num(a.x, 0, -5, 5)}em, ${num(a.y, 0, -5, 5)}em)`;
      break;
    case 'rotate':
      style.transform = `rotate(${num(a.deg, 90, -360, 360)}deg)`;
      break;
    case 'fg':
      if (typeof a.color === 'string' && colour.test(a.color)) style.color = `#${a.color}`;
      break;
    case 'bg':
      if (typeof a.color === 'string' && colour.test(a.color)) style.backgroundColor = `#${a.color}`;
      break;
    case 'border':
      style.border = `${num(a.width, 1, 0, 20)}px ${a.style === 'dashed' || a.style === 'dotted' ? a.style : 'solid'} ${typeof a.color === 'string' && colour.test(a.color) ? '#' + a.color : 'currentColor'}`;
      if (a.radius) style.borderRadius = `${num(a.radius, 0, 0, 50)}px`;
      break;
    case 'font':
      style.fontFamily = a.serif ? 'serif' : a.monospace ? 'monospace' : a.cursive ? 'cursive' : a.fantasy ? 'fantasy' : 'inherit';
      break;
    case 'blur':
      cls = 'mfm-blur';
      break;
    case 'ruby': {
      const text = node.children.map((c) => (c.type === 'text' ? c.props.text : '')).join('');
      const [base, ...rt] = text.split(' ');
      return h('ruby', [base, h('rt', rt.join(' '))]);
    }
    case 'unixtime': {
      const text = node.children.map((c) => (c.type === 'text' ? c.props.text : '')).join('');
      const secs = Number(text);
      return h('time', Number.isFinite(secs) ? new Date(secs * 1000).toLocaleString() : text);
    }
    default:
      if (!animated.has(node.props.name)) cls = '';
  }
  if (animated.has(node.props.name)) {
    if (prefs.reduceMotion) cls = '';
    else if (speed) style.animationDuration = speed;
  }
  return h('span', { class: ['mfm-fn', cls], style }, children);
}

function render(nodes: mfm.MfmNode[], emojis: EmojiMap, plainMentions: boolean): VNode[] {
  const out: (VNode | string)[] = [];
  for (const n of nodes) {
    const kids = () => render((n as any).children ?? [], emojis, plainMentions);
    switch (n.type) {
      case 'text': {
        const parts = n.props.text.split('\n');
        parts.forEach((p, i) => { if (i) out.push(h('br')); if (p) out.push(p); });
        break;
      }
      case 'bold': out.push(h('b', kids())); break;
      case 'italic': out.push(h('i', kids())); break;
      case 'strike': out.push(h('del', kids())); break;
      case 'small': out.push(h('small', { class: 'mfm-small' }, kids())); break;
      case 'center': out.push(h('div', { class: 'mfm-center' }, kids())); break;
      case 'quote': out.push(h('blockquote', { class: 'mfm-quote' }, kids())); break;
      case 'inlineCode': out.push(h('code', n.props.code)); break;
      case 'blockCode': out.push(h('pre', { class: 'mfm-code' }, h('code', n.props.code))); break;
      case 'mathInline': out.push(h('code', { class: 'mfm-math' }, n.props.formula)); break;
      case 'mathBlock': out.push(h('pre', { class: 'mfm-math' }, n.props.formula)); break;
      case 'plain': out.push(h('span', kids())); break;
      case 'url':
        out.push(h('a', { href: n.props.url, target: '_blank', rel: 'nofollow noopener' }, n.props.url));
        break;
      case 'link':
        out.push(h('a', { href: n.props.url, target: '_blank', rel: 'nofollow noopener', title: n.props.url }, kids()));
        break;
      case 'mention': {
        out.push(plainMentions ? n.props.acct : h(RouterLink, { to: userPath(n.props), class: 'mfm-mention' }, () => n.props.acct));
        break;
      }
      case 'hashtag':
        out.push(h(RouterLink, { to: `/tags/${encodeURIComponent(n.props.hashtag)}`, class: 'mfm-hashtag' }, () => `#${n.props.hashtag}`));
        break;
      case 'emojiCode': {
        const url = emojiUrl(n.props.name, emojis);
        out.push(url ? h('img', { class: 'emoji', src: url, alt: `:${n.props.name}:`, title: `:${n.props.name}:`, loading: 'lazy', decoding: 'async' }) : `:${n.props.name}:`);
        break;
      }
      case 'unicodeEmoji': out.push(h('span', { class: 'emoji-u' }, n.props.emoji)); break;
      case 'search': {
        const q = n.props.query;
        out.push(h('div', { class: 'mfm-search' }, [h('a', { href: `https://www.google.com/search?q=${encodeURIComponent(q)}`, target: '_blank', rel: 'noopener' }, `🔍 ${q}`)]));
        break;
      }
      case 'fn': out.push(fn(n, kids())); break;
      default: out.push(h('span', kids()));
    }
  }
  return out.map((o) => (typeof o === 'string' ? h('span', o) : o));
}

/** Full MFM (note text, bios). */
export function renderMfm(text: string, emojis?: EmojiMap): VNode[] {
  return render(mfm.parse(text), emojis, false);
}

/** Names and other single-line text: only emoji. */
export function renderSimple(text: string, emojis?: EmojiMap): VNode[] {
  return render(mfm.parseSimple(text), emojis, true);
}
