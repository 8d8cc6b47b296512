#!/usr/bin/env node
// Benchmark: the two ways a local video reaches Instagram, against the local
// stand-in, each as a ratio to a baseline measured in the same run, and the
// bytes each sends again after one interruption. Prints figures; asserts nothing.
//
// (a) npm package, Meta's resumable upload (Facebook Login): publishReel({video})
//     of an N MB file; its upload phase (container created → last byte
//     acknowledged, from onProgress) and the whole publish. Baseline: one plain
//     fetch POST of the same bytes to the same rupload endpoint (no library).
//     Interruption: the stand-in cuts the upload at 60 %, once; the library
//     resumes at the offset the stand-in reports. Baseline: a client that
//     starts over from byte 0 after the same cut. Re-sent = the bytes the
//     stand-in received beyond the file's size.
// (b) instagate Worker under miniflare, staged in parts (the CLI's
//     stageVideoInParts: open, PUT each part, complete). Baseline: one plain
//     fetch POST of the same bytes to the same miniflare server
//     (scripts/lib/sink-entry.mjs reads the body and drops it); and, to tell
//     the bucket's cost from the Worker's, the same parts put in R2 straight
//     from JS by that entry, one request each. Interruption:
//     a proxy (tests/cli/cutting-proxy.mjs) cuts the connection half-way through
//     part 2, once; the CLI sends part 2 again, alone. Baseline: a client that
//     starts over (the whole file again). Re-sent = the bytes the proxy received
//     beyond the file's size.
//
//   node scripts/bench-upload.mjs [--mb 32] [--runs 3]
// Needs pkg/ (scripts/build-pkg.sh) and build/ (scripts/build-worker.sh).
import { startStandin } from '../tests/standin/server.mjs';
import { sampleMp4 } from '../tests/standin/mp4.mjs';
import { API_KEY, IG_BIZ, login, start } from '../tests/worker/harness.mjs';
import { startCuttingProxy } from '../tests/cli/cutting-proxy.mjs';
import * as ig from '../pkg/node.js';
import { stageVideoInParts } from '../pkg/cli/commands/worker-upload.mjs';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const mb = Number(arg('mb', '32'));
const runs = Number(arg('runs', '3'));
const video = new Uint8Array(sampleMp4(30_000, Math.round(mb * 1024 * 1024)));
const MB = video.length / (1024 * 1024);
const MiB = (n) => `${(n / (1024 * 1024)).toFixed(1)} MB`;
const rate = (s) => `${(MB / s).toFixed(1)} MB/s`;

async function timed(fn) {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

console.log(`file: ${MB.toFixed(1)} MB; best of ${runs} runs each, alternating with the baseline`);

// ---- (a) the npm package's direct rupload path --------------------------------
{
  const standin = await startStandin({ port: 0, processingMs: { REELS: 0 } });
  const poll = { firstCheckVideoMs: 10, minIntervalMs: 10, maxIntervalMs: 20 };
  const retry = { baseDelayMs: 10, maxDelayMs: 20 };
  const cutAt = Math.floor(video.length * 0.6);
  try {
    const config = { product: 'facebook', clientId: '1000000000000001', redirectUri: 'http://127.0.0.1:8787/auth/callback', standinOrigin: standin.url };
    const user = standin.control.mintToken({ product: 'facebook', account: 'fb_linked', kind: 'long' });
    const page = await ig.resolveInstagramAccount({ config, accessToken: user.access_token });
    const acct = { config, accessToken: page.pageToken, igUserId: page.instagram.igUserId, poll, retry };
    // A resumable container made directly on the stand-in (for the baselines).
    const container = async () => {
      const url = `${standin.url}/graph.facebook.com/v21.0/${acct.igUserId}/media`;
      const res = await fetch(url, { method: 'POST', body: new URLSearchParams({ media_type: 'REELS', upload_type: 'resumable', access_token: acct.accessToken }) });
      return (await res.json()).id;
    };
    const rawUpload = (id, offset) => fetch(`${standin.url}/rupload.facebook.com/ig-api-upload/v21.0/${id}`, {
      method: 'POST',
      headers: { authorization: `OAuth ${acct.accessToken}`, offset: String(offset), file_size: String(video.length) },
      body: video.subarray(offset),
    });

    let baseline = Infinity;
    let whole = Infinity;
    let upload = Infinity;
    for (let i = 0; i < runs; i += 1) {
      const id = await container();
      baseline = Math.min(baseline, await timed(async () => (await rawUpload(id, 0)).text()));
      let created = null;
      let uploaded = null;
      const onProgress = (e) => {
        if (e.step === 'created') created = process.hrtime.bigint();
        if (e.step === 'uploaded' && e.sent === e.total) uploaded = process.hrtime.bigint();
      };
      whole = Math.min(whole, await timed(() => ig.publishReel({ ...acct, video, onProgress })));
      upload = Math.min(upload, Number(uploaded - created) / 1e9);
    }
    console.log('\n(a) npm package → Meta\'s resumable upload (rupload on the stand-in)');
    console.log(`  baseline, one fetch POST to rupload:      ${rate(baseline)}`);
    console.log(`  publishReel({video}), upload phase:       ${rate(upload)}  (ratio to baseline ${(baseline / upload).toFixed(2)})`);
    console.log(`  publishReel({video}), whole publish:      ${rate(whole)}  (ratio to baseline ${(baseline / whole).toFixed(2)})`);

    const cut = () => standin.control.faults([{ host: 'rupload.facebook.com', fault: { type: 'cut_upload', afterBytes: cutAt } }]);
    standin.state.uploadBytes = 0;
    cut();
    await ig.publishReel({ ...acct, video });
    const resumed = standin.state.uploadBytes - video.length;
    standin.state.uploadBytes = 0;
    cut();
    const id = await container();
    await rawUpload(id, 0).catch(() => {});
    await (await rawUpload(id, 0)).text();
    const restarted = standin.state.uploadBytes - video.length;
    console.log(`  cut at ${MiB(cutAt)}, bytes re-sent: ${resumed} (resumed at Meta's offset); baseline starting over ${restarted} (${MiB(restarted)})`);
  } finally {
    await standin.close();
  }
}

// ---- (b) the Worker's parts path (miniflare) --------------------------------------
{
  const env = await start({ entry: new URL('./lib/sink-entry.mjs', import.meta.url) });
  const quiet = { update() {}, done() {} };
  try {
    const { params } = await login(env, { account: 'biz' });
    if (params.get('connected') !== IG_BIZ) throw new Error(`login failed: ${params}`);
    const origin = env.worker.origin;
    const target = (worker) => ({ worker, account: IG_BIZ, auth: { authorization: `Bearer ${API_KEY}` } });
    const sink = async (url) => {
      const res = await fetch(`${url}/__sink`, { method: 'POST', body: video });
      if (res.status !== 204 || Number(res.headers.get('x-bytes')) !== video.length) throw new Error(`sink answered ${res.status}`);
    };
    const stage = (worker, opts = {}) => stageVideoInParts(target(worker), { bytes: video, file: 'bench.mp4', kind: 'reel', line: quiet, ...opts });
    const partSize = 8 * 1024 * 1024;
    // The same parts stored in R2 from JS, one request each (no Worker code).
    const r2Parts = async () => {
      for (let at = 0; at < video.length; at += partSize) {
        const res = await fetch(`${origin}/__r2part`, { method: 'PUT', body: video.subarray(at, at + partSize) });
        if (res.status !== 204) throw new Error(`__r2part answered ${res.status}`);
      }
    };
    let baseline = Infinity;
    let r2 = Infinity;
    let parts = Infinity;
    let partsPhase = Infinity;
    let staged;
    for (let i = 0; i < runs; i += 1) {
      baseline = Math.min(baseline, await timed(() => sink(origin)));
      r2 = Math.min(r2, await timed(r2Parts));
      // The last part's progress line is written just before the complete call.
      const t0 = process.hrtime.bigint();
      let lastPart = null;
      const line = { update: (text) => { if (/100% .*\(part/.test(text)) lastPart = process.hrtime.bigint(); }, done() {} };
      parts = Math.min(parts, await timed(async () => { staged = await stage(origin, { line }); }));
      partsPhase = Math.min(partsPhase, Number(lastPart - t0) / 1e9);
    }
    const opened = await (await fetch(`${origin}/api/accounts/${IG_BIZ}/uploads`, {
      method: 'POST',
      headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ use: 'reel', content_type: 'video/mp4', size: video.length }),
    })).json();
    const { parts: count } = opened.upload;
    if (opened.upload.part_size !== partSize) throw new Error(`the Worker's part_size is ${opened.upload.part_size}, not ${partSize}: update the R2 baseline`);
    await fetch(`${origin}/api/accounts/${IG_BIZ}/uploads/${opened.upload.id}?upload_id=${encodeURIComponent(opened.upload.upload_id)}`, { method: 'DELETE', headers: { authorization: `Bearer ${API_KEY}` } });
    console.log(`\n(b) instagate Worker (miniflare) → R2, in ${count} parts of ${MiB(partSize)}`);
    console.log(`  baseline, one fetch POST to the same server: ${rate(baseline)}`);
    console.log(`  the same parts put in R2 from JS (no Worker): ${rate(r2)}  (ratio to baseline ${(baseline / r2).toFixed(2)})`);
    console.log(`  stageVideoInParts, open + parts:             ${rate(partsPhase)}  (ratio to baseline ${(baseline / partsPhase).toFixed(2)})`);
    console.log(`  stageVideoInParts, open + parts + complete:  ${rate(parts)}  (ratio to baseline ${(baseline / parts).toFixed(2)}; complete, with its MP4 check: ${((parts - partsPhase) * 1000).toFixed(0)} ms)`);

    if (count < 2) {
      console.log('  (one part only: no interruption figure; give a larger --mb)');
    } else {
      const proxy = await startCuttingProxy(origin);
      try {
        proxy.cut(/^PUT .*\/parts\/2\?/, Math.floor(partSize / 2));
        await stage(proxy.origin, { sleep: async () => {} });
        const sentToParts = proxy.requests.filter((r) => r.method === 'PUT').reduce((n, r) => n + r.bytes, 0);
        const resumed = sentToParts - video.length;
        const cutAt = partSize + Math.floor(partSize / 2);
        proxy.requests.length = 0;
        proxy.cut(/^POST \/__sink/, cutAt);
        await sink(proxy.origin).catch(() => {});
        await sink(proxy.origin);
        const restarted = proxy.requests.reduce((n, r) => n + r.bytes, 0) - video.length;
        console.log(`  cut half-way through part 2 (${MiB(cutAt)}), bytes re-sent: part 2 again ${resumed}; baseline starting over ${restarted} (${MiB(restarted)})`);
      } finally {
        await proxy.close();
      }
    }
  } finally {
    await env.close();
  }
}
