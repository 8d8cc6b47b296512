// Type-checks the JavaScript/TypeScript examples of README.md and
// pkg-template/README.md as written, under `tsc --strict`, against the
// package's hand-written types (pkg-template/*.d.ts): a snippet a user pastes
// into a strict TypeScript project must compile. Each ```js / ```ts block
// becomes its own module; the values a snippet takes from the reader's own
// app (a code, a saved record, ...) are declared in
// tests/js/readme-globals.d.ts. Errors are reported at the README line.
// Also: README.md's Worker route table lists every route of the Worker's
// router (src/service/router.rs), so every route its own examples call.
// Usage: node scripts/readme-examples.mjs   (run by tests/js/run.sh)
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const READMES = ['README.md', 'pkg-template/README.md'];
const LANGS = new Set(['js', 'javascript', 'mjs', 'ts', 'typescript']);

/** The code blocks of one markdown file: {lang, firstLine (1-based), code}. */
export function codeBlocks(markdown) {
  const blocks = [];
  let open = null;
  markdown.split('\n').forEach((line, i) => {
    const fence = line.match(/^```(\S*)\s*$/);
    if (!fence) {
      if (open) open.lines.push(line);
    } else if (!open) {
      open = { lang: fence[1].toLowerCase(), firstLine: i + 2, lines: [] };
    } else {
      blocks.push({ lang: open.lang, firstLine: open.firstLine, code: open.lines.join('\n') });
      open = null;
    }
  });
  return blocks;
}

/** Routes missing from README.md's route table: the router's, and those the examples fetch. */
function missingRoutes() {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const table = new Set(
    readme.split('\n').filter((l) => l.startsWith('| `')).flatMap((l) => [...l.matchAll(/`(?:[A-Z/]+ )?(\/[^`\s?]*)/g)].map((m) => m[1])),
  );
  const router = readFileSync(join(root, 'src/service/router.rs'), 'utf8');
  const served = [...router.matchAll(/Route::\w+(?:\(_\))? => "(\/[^"]*)"/g)].map((m) => m[1]);
  if (served.length < 5) throw new Error('src/service/router.rs: no route patterns found (the check needs updating)');
  const fetched = [...readme.matchAll(/\$\{WORKER\}(\/[^`?"'\s]*)/g)].map((m) => m[1]);
  return [...new Set([...served, ...fetched])].filter((route) => !table.has(route));
}

const missing = missingRoutes();
if (missing.length > 0) {
  console.error(`README.md's route table lacks: ${missing.join(', ')}`);
  process.exitCode = 1;
}

const work = mkdtempSync(join(tmpdir(), 'instagate-readme-'));
try {
  const files = new Map(); // generated file -> {readme, firstLine}
  for (const readme of READMES) {
    const blocks = codeBlocks(readFileSync(join(root, readme), 'utf8')).filter((b) => LANGS.has(b.lang));
    if (blocks.length === 0) throw new Error(`${readme}: no js/ts code block found`);
    for (const block of blocks) {
      const name = `${readme.replace(/[^A-Za-z0-9]+/g, '_')}_L${block.firstLine}.ts`;
      // `export {}` makes every block a module of its own (its names never clash).
      writeFileSync(join(work, name), `${block.code}\nexport {};\n`);
      files.set(name, { readme, firstLine: block.firstLine });
    }
  }
  writeFileSync(join(work, 'tsconfig.json'), JSON.stringify({
    compilerOptions: {
      strict: true, noEmit: true, target: 'es2022', module: 'es2022', moduleResolution: 'bundler',
      lib: ['es2022', 'dom'], types: [],
      paths: {
        instagate: [resolve(root, 'pkg-template/index.d.ts')],
        'instagate/login': [resolve(root, 'pkg-template/login.d.ts')],
      },
    },
    files: [resolve(root, 'tests/js/readme-globals.d.ts'), ...files.keys()],
  }, null, 2));
  const tsc = spawnSync(join(root, 'node_modules/.bin/tsc'), ['-p', work, '--pretty', 'false'], { encoding: 'utf8' });
  if (tsc.error) throw tsc.error;
  // "name.ts(12,5): error TS2345: ..." -> "README.md:140:5: error TS2345: ..."
  const report = tsc.stdout.replace(/^(\S+\.ts)\((\d+),(\d+)\)/gm, (whole, file, line, col) => {
    const at = files.get(file.split('/').pop());
    return at ? `${at.readme}:${at.firstLine + Number(line) - 1}:${col}` : whole;
  });
  if (tsc.status !== 0) {
    process.stderr.write(report || tsc.stderr);
    process.stderr.write(`README examples: tsc --strict failed (${files.size} blocks checked)\n`);
    process.exitCode = 1;
  } else if (process.exitCode !== 1) {
    console.log(`README examples: ${files.size} js/ts blocks of ${READMES.join(' and ')} type-check under tsc --strict`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
