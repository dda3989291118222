#!/usr/bin/env node
// Reads one target of binding.gyp and prints what goes into the addon, so the
// cmake-js sanitizer lane (CMakeLists.txt) builds exactly what node-gyp
// builds. binding.gyp stays the one description of the addon: this script
// only translates it, and refuses keys it cannot translate (conditions,
// dependencies, ...) instead of silently building something else.
//
//   node test/asan/gyp-sources.js [--cmake] [binding.gyp] [target]
//
// Without --cmake: JSON {target_name, sources, include_dirs, defines, cflags,
// ldflags, libraries}. With --cmake: set(GYP_...) commands for include().
// Paths come out absolute (gyp resolves them against the .gyp file's dir).
'use strict';

const { execSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

/** What we translate; anything else in the target is an error. */
const KNOWN = new Set([
  'target_name', 'type', 'sources', 'include_dirs', 'defines',
  'cflags', 'cflags!', 'cflags_cc', 'cflags_cc!', 'ldflags', 'ldflags!', 'libraries', 'libraries!',
]);

function fail(message) {
  process.stderr.write(`gyp-sources: ${message}\n`);
  process.exit(1);
}

/** gyp files are Python literals: '#' comments, either quote, trailing commas. */
function parseGyp(text, file) {
  let out = '';
  let quote = null;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quote) {
      out += ch;
      if (ch === '\\') out += text[++i] ?? '';
      else if (ch === quote) quote = null;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      out += ch;
    } else if (ch === '#') {
      while (i < text.length && text[i] !== '\n') i++;
      out += '\n';
    } else {
      out += ch;
    }
  }
  try {
    return JSON.parse(out);
  } catch {
    // Not plain JSON (single quotes, trailing commas): the same literal in JS syntax.
    try {
      return new Function(`"use strict"; return (${out});`)();
    } catch (e) {
      fail(`${file}: cannot parse: ${e.message}`);
    }
  }
}

/** gyp's command expansions: <!(cmd) is one string, <!@(cmd) a list; run in the .gyp's dir. */
function expand(items, dir) {
  const result = [];
  for (const item of items ?? []) {
    if (typeof item !== 'string') fail(`expected a string, got ${JSON.stringify(item)}`);
    const m = /^<!(@?)\((.*)\)$/s.exec(item);
    if (!m) {
      if (item.includes('<(') || item.includes('<!')) fail(`unsupported gyp expansion in ${JSON.stringify(item)}`);
      result.push(item);
      continue;
    }
    const output = execSync(m[2], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
    if (m[1]) result.push(...output.split(/\s+/).filter(Boolean));
    else result.push(output);
  }
  return result;
}

/** A list with gyp's `key!` exclusions applied. */
function list(target, key, dir) {
  const remove = new Set(expand(target[`${key}!`], dir));
  return expand(target[key], dir).filter((x) => !remove.has(x));
}

function main(argv) {
  const cmake = argv[0] === '--cmake';
  const args = cmake ? argv.slice(1) : argv;
  const gypFile = path.resolve(args[0] ?? path.join(__dirname, '..', '..', 'binding.gyp'));
  const gyp = parseGyp(fs.readFileSync(gypFile, 'utf8'), gypFile);
  const dir = path.dirname(gypFile);
  for (const key of Object.keys(gyp)) {
    if (key !== 'targets') fail(`${gypFile}: top-level "${key}" is not translated for cmake; extend test/asan/gyp-sources.js`);
  }
  const targets = gyp.targets ?? [];
  const name = args[1] ?? targets[0]?.target_name;
  const target = targets.find((t) => t.target_name === name);
  if (!target) fail(`${gypFile}: no target "${name}"`);
  for (const key of Object.keys(target)) {
    if (!KNOWN.has(key)) fail(`${gypFile}: target "${name}": "${key}" is not translated for cmake; extend test/asan/gyp-sources.js`);
  }
  if (target.type && target.type !== 'loadable_module') fail(`target "${name}": type "${target.type}" is not a Node addon`);

  const abs = (p) => path.resolve(dir, p);
  const cflagsCc = [...list(target, 'cflags', dir), ...list(target, 'cflags_cc', dir)];
  const result = {
    target_name: name,
    sources: list(target, 'sources', dir).map(abs),
    include_dirs: list(target, 'include_dirs', dir).map(abs),
    defines: list(target, 'defines', dir),
    cflags: cflagsCc,
    // Flags gyp removes: from node's common.gypi defaults there, from CMake's defaults here.
    cflags_removed: [...new Set([...expand(target['cflags!'], dir), ...expand(target['cflags_cc!'], dir)])],
    ldflags: list(target, 'ldflags', dir),
    libraries: list(target, 'libraries', dir),
  };
  if (result.sources.length === 0) fail(`target "${name}" has no sources`);
  for (const s of result.sources) if (!fs.existsSync(s)) fail(`source ${s} does not exist`);

  if (!cmake) {
    process.stdout.write(JSON.stringify(result, null, 2) + '\n');
    return;
  }
  const q = (s) => `"${s.replace(/[\\"$;]/g, (c) => '\\' + c)}"`;
  const lines = [`# Generated from ${gypFile} by test/asan/gyp-sources.js; do not edit.`];
  for (const [key, value] of Object.entries(result)) {
    const var_ = `GYP_${key.toUpperCase()}`;
    lines.push(Array.isArray(value) ? `set(${var_} ${value.map(q).join(' ')})` : `set(${var_} ${q(value)})`);
  }
  process.stdout.write(lines.join('\n') + '\n');
}

main(process.argv.slice(2));
