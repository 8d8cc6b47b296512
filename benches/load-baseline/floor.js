// The floor for GET /health in scripts/load.mjs and scripts/profile-worker.mjs:
// a Worker that answers the same JSON as instagate and the baseline and
// writes the one JSON log line per request they write, and does nothing
// else. No Worker that answers and logs can serve /health faster than this
// on the same runtime, so its figure bounds any ratio against the baseline.
// With the QUIET variable set it does not log either (profile-worker's
// `floor`, against `floor-log`).
export default {
  async fetch(req, env) {
    const time = new Date().toISOString();
    if (!env.QUIET) {
      console.log(JSON.stringify({ event: 'request', method: req.method, route: '/health', status: 200, duration_ms: 0, ts: time }));
    }
    return new Response(JSON.stringify({ status: 'ok', time }), { headers: { 'content-type': 'application/json' } });
  },
};
