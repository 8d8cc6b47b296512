// Terminal output: stdout carries results (what a script reads), stderr
// carries progress, notices and errors. Tokens never go through here except
// from `export` and `refresh --print-*`, which are asked for.
export const out = (text = '') => process.stdout.write(`${text}\n`);
export const err = (text = '') => process.stderr.write(`${text}\n`);

/** Fixed-width columns for a header row and data rows. */
export function table(rows) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  return rows.map((r) => r.map((cell, i) => String(cell).padEnd(widths[i])).join('  ').trimEnd()).join('\n');
}

/** `2026-12-20 09:40 UTC`, or a dash. */
export const when = (iso) => (iso ? `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC` : '-');

/** A progress line on stderr: rewritten in place on a terminal, one line per step otherwise. */
export function progressLine() {
  const tty = process.stderr.isTTY;
  let open = false;
  return {
    update(text) {
      if (tty) {
        process.stderr.write(`\r\x1b[2K${text}`);
        open = true;
      } else {
        err(text);
      }
    },
    done(text) {
      if (tty && open) process.stderr.write('\r\x1b[2K');
      open = false;
      if (text) err(text);
    },
  };
}

/** An upload's progress bar (Meta's rupload, a Worker's parts): `[#########-----------]  45% 12.3/27.0 MB` */
export function uploadBar(sent, total, width = 20) {
  const share = total > 0 ? sent / total : 1;
  const full = Math.round(share * width);
  const mb = (n) => (n / (1024 * 1024)).toFixed(1);
  return `[${'#'.repeat(full)}${'-'.repeat(width - full)}] ${String(Math.floor(share * 100)).padStart(3)}% ${mb(sent)}/${mb(total)} MB`;
}

/** A value for `NAME=value` lines: plain when safe, single-quoted otherwise. */
export const shellValue = (v) => (/^[A-Za-z0-9_.:\/+=@%,-]*$/.test(v) ? v : `'${String(v).replace(/'/g, `'\\''`)}'`);
