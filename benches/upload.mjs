// Video upload figures against the local stand-in (node benches/upload.mjs [MB]):
//
// 1. throughput: publishReel({video}) of an N MB file (default 32) through the npm
//    package, as a ratio against a baseline in the same run: one plain fetch POST of
//    the same bytes to the same rupload endpoint (no library, no publish);
// 2. bytes re-sent after an interruption: the upload is cut at 60 %, once; the
//    library resumes at the offset the stand-in reports. Baseline in the same run:
//    a client that starts over from byte 0 after the same cut. "Re-sent" counts the
//    bytes the stand-in received beyond the file's size (bytes it already had).
//
// Needs pkg/ (scripts/build-pkg.sh). Prints figures; asserts nothing.
import { startStandin } from '../tests/standin/server.mjs';
import { sampleMp4 } from '../tests/standin/mp4.mjs';
import * as ig from '../pkg/node.js';

const mb = Number(process.argv[2] ?? 32);
const video = new Uint8Array(sampleMp4(30_000, Math.round(mb * 1024 * 1024)));
const processingMs = { REELS: 0 };
const poll = { firstCheckVideoMs: 10, minIntervalMs: 10, maxIntervalMs: 20 };
const retry = { baseDelayMs: 10, maxDelayMs: 20 };
const cutAt = Math.floor(video.length * 0.6);

async function account(standin) {
  const config = { product: 'facebook', clientId: '1000000000000001', redirectUri: 'http://127.0.0.1:8787/auth/callback', standinOrigin: standin.url };
  const user = standin.control.mintToken({ product: 'facebook', account: 'fb_linked', kind: 'long' });
  const page = await ig.resolveInstagramAccount({ config, accessToken: user.access_token });
  return { config, accessToken: page.pageToken, igUserId: page.instagram.igUserId, poll, retry };
}

// A resumable container made directly on the stand-in (for the baselines).
async function container(standin, acct) {
  const url = `${standin.url}/graph.facebook.com/v21.0/${acct.igUserId}/media`;
  const res = await fetch(url, { method: 'POST', body: new URLSearchParams({ media_type: 'REELS', upload_type: 'resumable', access_token: acct.accessToken }) });
  return (await res.json()).id;
}

const rawUpload = (standin, acct, id, offset) => fetch(`${standin.url}/rupload.facebook.com/ig-api-upload/v21.0/${id}`, {
  method: 'POST',
  headers: { authorization: `OAuth ${acct.accessToken}`, offset: String(offset), file_size: String(video.length) },
  body: video.subarray(offset),
});

async function timed(fn) {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

const standin = await startStandin({ port: 0, processingMs });
try {
  const acct = await account(standin);
  const MB = video.length / (1024 * 1024);

  // 1. throughput (best of 3 each, alternating)
  let baseline = Infinity;
  let library = Infinity;
  for (let i = 0; i < 3; i += 1) {
    const id = await container(standin, acct);
    baseline = Math.min(baseline, await timed(async () => (await rawUpload(standin, acct, id, 0)).text()));
    library = Math.min(library, await timed(() => ig.publishReel({ ...acct, video })));
  }
  console.log(`file: ${MB.toFixed(1)} MB`);
  console.log(`baseline (one fetch POST to rupload): ${(MB / baseline).toFixed(1)} MB/s`);
  console.log(`publishReel({video}) whole publish:   ${(MB / library).toFixed(1)} MB/s  (ratio to baseline ${(baseline / library).toFixed(2)})`);

  // 2. bytes re-sent after one interruption at 60 %
  const cut = () => standin.control.faults([{ host: 'rupload.facebook.com', fault: { type: 'cut_upload', afterBytes: cutAt } }]);
  standin.state.uploadBytes = 0;
  cut();
  await ig.publishReel({ ...acct, video });
  const resumed = standin.state.uploadBytes - video.length;
  standin.state.uploadBytes = 0;
  cut();
  const id = await container(standin, acct);
  await rawUpload(standin, acct, id, 0).catch(() => {});
  await (await rawUpload(standin, acct, id, 0)).text();
  const restarted = standin.state.uploadBytes - video.length;
  console.log(`cut at ${(cutAt / (1024 * 1024)).toFixed(1)} MB: bytes re-sent — resumed at Meta's offset: ${resumed}; baseline starting over from 0: ${restarted} (${(restarted / (1024 * 1024)).toFixed(1)} MB)`);
} finally {
  await standin.close();
}
