// Generates src/mfm/emoji_table.rs from the emoji regex that mfm-js uses
// (@misskey-dev/emoji-data). The regex is parsed into a small AST over UTF-16
// code units (it is a non-unicode JS regex) and emitted as static Rust data;
// src/mfm/emoji.rs walks it with JS's ordered-alternation backtracking rules,
// so the Rust matcher returns exactly the match JS would.
//
// Usage (from tests/mfm, after `npm ci`): node gen_emoji.mjs
import { writeFileSync } from 'node:fs';
import { emojiRegex } from '@misskey-dev/emoji-data';

const src = emojiRegex.source;
let i = 0;

function fail(msg) {
  throw new Error(`${msg} at ${i}: ${src.slice(i, i + 20)}`);
}

function unit() {
  if (src[i] === '\\') {
    if (src[i + 1] !== 'u') fail('unsupported escape');
    const v = parseInt(src.slice(i + 2, i + 6), 16);
    i += 6;
    return [v];
  }
  const cp = src.codePointAt(i);
  const s = String.fromCodePoint(cp);
  i += s.length;
  return Array.from({ length: s.length }, (_, k) => s.charCodeAt(k));
}

function parseClass() {
  i++; // [
  if (src[i] === '^') fail('negated class');
  const ranges = [];
  while (src[i] !== ']') {
    const lo = unit();
    if (src[i] === '-' && src[i + 1] !== ']') {
      i++;
      const hi = unit();
      if (lo.length !== 1 || hi.length !== 1) fail('astral range');
      ranges.push([lo[0], hi[0]]);
    } else {
      for (const u of lo) ranges.push([u, u]);
    }
  }
  i++; // ]
  return { t: 'class', ranges };
}

function parseAtom() {
  const c = src[i];
  if (c === '(') {
    let kind = 'group';
    if (src.startsWith('(?:', i)) i += 3;
    else if (src.startsWith('(?!', i)) { i += 3; kind = 'notahead'; }
    else if (src.startsWith('(?', i)) fail('unsupported group');
    else i += 1; // capturing group: captures do not affect the match
    const inner = parseAlt();
    if (src[i] !== ')') fail('expected )');
    i++;
    return kind === 'notahead' ? { t: 'notahead', inner } : inner;
  }
  if (c === '[') return parseClass();
  if ('.^$*+{'.includes(c)) fail('unsupported token');
  const us = unit();
  return us.length === 1 ? { t: 'lit', u: us[0] } : { t: 'seq', items: us.map((u) => ({ t: 'lit', u })) };
}

function parseSeq() {
  const items = [];
  while (i < src.length && src[i] !== '|' && src[i] !== ')') {
    let a = parseAtom();
    if (src[i] === '?') {
      i++;
      if (src[i] === '?') fail('lazy quantifier');
      a = { t: 'opt', inner: a };
    }
    if ('*+{'.includes(src[i])) fail('unsupported quantifier');
    items.push(a);
  }
  return items.length === 1 ? items[0] : { t: 'seq', items };
}

function parseAlt() {
  const alts = [parseSeq()];
  while (src[i] === '|') {
    i++;
    alts.push(parseSeq());
  }
  return alts.length === 1 ? alts[0] : { t: 'alt', alts };
}

const root = parseAlt();
if (i !== src.length) fail('trailing input');

// Ordered alternation is associative, so nested top-level alternations can be
// flattened into one list; that lets the matcher index alternatives by first unit.
function flatten(n) {
  return n.t === 'alt' ? n.alts.flatMap(flatten) : [n];
}
const alts = flatten(root);

// first(n) -> { units: Set, nullable }
function first(n) {
  switch (n.t) {
    case 'lit': return { units: new Set([n.u]), nullable: false };
    case 'class': {
      const s = new Set();
      for (const [lo, hi] of n.ranges) for (let u = lo; u <= hi; u++) s.add(u);
      return { units: s, nullable: false };
    }
    case 'opt': return { units: first(n.inner).units, nullable: true };
    case 'notahead': return { units: new Set(), nullable: true };
    case 'alt': {
      const s = new Set();
      let nullable = false;
      for (const a of n.alts) { const f = first(a); f.units.forEach((u) => s.add(u)); nullable ||= f.nullable; }
      return { units: s, nullable };
    }
    case 'seq': {
      const s = new Set();
      for (const a of n.items) {
        const f = first(a);
        f.units.forEach((u) => s.add(u));
        if (!f.nullable) return { units: s, nullable: false };
      }
      return { units: s, nullable: true };
    }
  }
  throw new Error('unknown node');
}

// Index alternatives by their possible first code point (a surrogate pair
// counts as one), so the matcher only tries the few that can apply.
function prefixes(n, k) {
  switch (n.t) {
    case 'lit': return new Set([String.fromCharCode(n.u)]);
    case 'class': {
      const s = new Set();
      for (const [lo, hi] of n.ranges) for (let u = lo; u <= hi; u++) s.add(String.fromCharCode(u));
      return s;
    }
    case 'opt': return new Set([...prefixes(n.inner, k), '']);
    case 'notahead': return new Set(['']);
    case 'alt': return new Set(n.alts.flatMap((a) => [...prefixes(a, k)]));
    case 'seq': {
      let cur = new Set(['']);
      for (const item of n.items) {
        const next = new Set();
        let grew = false;
        for (const p of cur) {
          if (p.length >= k) { next.add(p); continue; }
          grew = true;
          for (const q of prefixes(item, k)) next.add((p + q).slice(0, k));
        }
        cur = next;
        if (!grew) break;
      }
      return cur;
    }
  }
  throw new Error('unknown node');
}

const byUnit = new Map();
alts.forEach((a, idx) => {
  for (const p of prefixes(a, 2)) {
    if (p.length === 0) throw new Error(`alternative ${idx} can match empty`);
    const hi = p.charCodeAt(0);
    let cp;
    if (hi >= 0xd800 && hi < 0xdc00) {
      if (p.length < 2) throw new Error(`alternative ${idx} has a lone high surrogate`);
      cp = p.codePointAt(0);
    } else {
      cp = hi;
    }
    if (!byUnit.has(cp)) byUnit.set(cp, []);
    if (!byUnit.get(cp).includes(idx)) byUnit.get(cp).push(idx);
  }
});

const hex = (u) => `0x${u.toString(16).padStart(4, '0')}`;
const hexcp = (u) => `0x${u.toString(16).padStart(5, '0')}`;
function emit(n) {
  switch (n.t) {
    case 'lit': return `L(${hex(n.u)})`;
    case 'class': return `C(&[${n.ranges.map(([a, b]) => `(${hex(a)}, ${hex(b)})`).join(', ')}])`;
    case 'opt': return `O(&${emit(n.inner)})`;
    case 'notahead': return `N(&${emit(n.inner)})`;
    case 'alt': return `A(&[${n.alts.map(emit).join(', ')}])`;
    case 'seq': return `S(&[${n.items.map(emit).join(', ')}])`;
  }
  throw new Error('unknown node');
}

const units = [...byUnit.keys()].sort((a, b) => a - b);
const out = `//! Emoji regex table generated by tests/mfm/gen_emoji.mjs from the regex that
//! mfm-js uses (@misskey-dev/emoji-data; the regex comes from twemoji-parser,
//! MIT licensed, see LICENSE-TWEMOJI-PARSER in that package).
//! Do not edit by hand: re-run the generator.
//! Each entry of ALTS is one top-level alternative, in the regex's order, over
//! UTF-16 code units; FIRST maps a first code point to the alternatives that
//! can start with it (in order).
#![allow(clippy::all)]

use crate::mfm::emoji::Re::{self, Alt as A, Class as C, Lit as L, NotAhead as N, Opt as O, Seq as S};

#[rustfmt::skip]
pub(crate) static ALTS: &[Re] = &[
${alts.map((a) => `    ${emit(a)},`).join('\n')}
];

#[rustfmt::skip]
pub(crate) static FIRST: &[(u32, &[u16])] = &[
${units.map((u) => `    (${hexcp(u)}, &[${byUnit.get(u).join(', ')}]),`).join('\n')}
];
`;
const target = new URL('../../src/mfm/emoji_table.rs', import.meta.url);
writeFileSync(target, out);
console.log(`wrote ${alts.length} alternatives, ${units.length} first code points`);
