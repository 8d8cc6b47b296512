// Compiled with `tsc --noEmit --strict` by tests/js/run.sh: the public types
// must describe real use without `any`; the @ts-expect-error lines must stay
// errors (tsc fails when one of them compiles).
import {
  createLogin, validateCallback, startLogin, completeLogin, connectAccount, InstagateError,
  type InstagateConfig, type CreatedLogin, type CompletedLogin, type ConnectedAccount,
  type ConnectedLogin, type SkippedAccount, type SkipReason,
  exchangeCode, getLongLivedToken, refreshToken, getProfile, getPermissions, getFacebookPages,
  resolveInstagramAccount, tokenStatus,
  type ErrorKind, type TokenKind, type TokenRecord, type TokenStatus, type CodeExchange, type Profile,
  type Permissions, type FacebookPages, type LinkedPage,
  publishImage, publishReel, publishCarousel, publishStory, getPublishingQuota, inspectVideo,
  createPublishJob, stepPublishJob,
  type Published, type PublishProgress, type PublishJob, type PublishStep, type PublishingQuota,
} from 'instagate';

const config: InstagateConfig = {
  product: 'facebook', clientId: '1000000000000001', redirectUri: 'https://app.example/cb',
  endpoints: { graphBase: 'https://graph.example' },
};
const login: CreatedLogin = createLogin({ ...config, product: 'instagram' }, { forceReauth: true });
const url: string = login.url;
const started = startLogin(config, { redirect: true });
const challenge: string = started.codeChallenge;
try {
  const { code, state } = validateCallback(config, url, login.state);
  const done: CompletedLogin = completeLogin(config);
  console.log(code.length + state.length + done.codeVerifier.length + challenge.length);
} catch (e: unknown) {
  if (e instanceof InstagateError) {
    const kind: ErrorKind = e.kind;
    const retryIn: number | null = e.retryAfter;
    const code: number | null = e.code;
    if (kind === 'rate_limited' && retryIn !== null) console.log(retryIn * 1000);
    console.log(e.field, e.status, e.fbtraceId, e.errorType, e.subcode, code, e.retryable, e.message);
  }
}
// @ts-expect-error an unknown product is not a Product
createLogin({ ...config, product: 'myspace' });
// @ts-expect-error an unknown error kind is not an ErrorKind
const wrongKind: ErrorKind = 'teapot';
void wrongKind;

async function server(callbackUrl: string, expectedState: string, signal: AbortSignal): Promise<string> {
  const connected: ConnectedLogin = await connectAccount({
    config, clientSecret: 's', callbackUrl, expectedState, timeoutMs: 10_000, signal,
  });
  const [account]: ConnectedAccount[] = connected.accounts;
  const kind: TokenKind = account.token.kind;
  const expires: string | null = account.token.expiresAt;
  const fromCode = await connectAccount({
    config, clientSecret: 's', code: 'c', codeVerifier: 'v', accounts: ['17841400000000005', '10300000000000006'],
  });
  const pageId: string | undefined = fromCode.accounts[0]?.page?.pageId;
  const facebookUser: string | null = fromCode.facebookUserId;
  const skipped: SkippedAccount[] = fromCode.skipped;
  const reasons: SkipReason[] = skipped.map((s) => s.reason);
  console.log(facebookUser, reasons.includes('no_page_token'), skipped[0]?.pageName);

  // Step by step, and the token's life afterwards.
  const exchanged: CodeExchange = await exchangeCode({ config, clientSecret: 's', code: 'c', state: 'st' });
  const long: TokenRecord = await getLongLivedToken({ config, clientSecret: 's', token: exchanged.token });
  const status: TokenStatus = tokenStatus(long, { now: new Date(), refreshWhenDaysLeft: 20 });
  const fresh = status.needsRefresh ? await refreshToken({ config, token: { ...long, issuedAt: Date.now() } }) : long;
  const profile: Profile = await getProfile({ config, accessToken: fresh.accessToken, igUserId: '1784' });
  const followers: number | null = profile.followersCount;
  const { granted }: Permissions = await getPermissions({ config, accessToken: long.accessToken });
  const pages: FacebookPages = await getFacebookPages({ config, accessToken: long.accessToken });
  const page: LinkedPage = await resolveInstagramAccount({ config, accessToken: long.accessToken, igUserId: '1784' });
  const pageToken: string | null = page.pageToken;
  return [account.igUserId, kind, expires ?? 'never', pageId, followers, granted.length,
    pages.pages.length, pages.truncated, pageToken, status.daysLeft].join(' ');
}
// @ts-expect-error a token record needs a kind
tokenStatus({ accessToken: 'x', issuedAt: 0 });
// @ts-expect-error connectAccount needs a code or a callback URL
void connectAccount({ config, clientSecret: 's' });
// @ts-expect-error accounts are named by ID strings
void connectAccount({ config, clientSecret: 's', code: 'c', accounts: 17841400000000005 });
// @ts-expect-error the answer is a login with accounts, not one account
void (async (): Promise<string> => (await connectAccount({ config, clientSecret: 's', code: 'c' })).igUserId);
void server;

async function publishing(accessToken: string, igUserId: string, signal: AbortSignal): Promise<string> {
  const base = { config, accessToken, igUserId };
  const onProgress = (e: PublishProgress): void => {
    if (e.step === 'processing') console.log(e.elapsedMs, e.checks);
    if (e.step === 'retrying') console.log(e.errorKind, e.waitMs);
  };
  const image: Published = await publishImage({
    ...base, imageUrl: 'https://cdn.example/a.jpg', caption: 'hi', altText: 'a',
    userTags: [{ username: 'x', x: 0.5, y: 0.5 }], checkQuota: true, onProgress, signal,
  });
  const reel = await publishReel({ ...base, videoUrl: 'https://cdn.example/a.mp4', shareToFeed: true, thumbOffset: 1000 });
  const carousel = await publishCarousel({
    ...base, items: [{ imageUrl: 'https://cdn.example/a.jpg' }, { videoUrl: 'https://cdn.example/b.mp4' }],
    poll: { firstCheckVideoMs: 5000 }, retry: { maxAttempts: 2 },
  });
  const story = await publishStory({ ...base, videoUrl: 'https://cdn.example/s.mp4', clientSecret: 's' });
  const bytes = new Uint8Array(16);
  const fromFile = await publishReel({
    ...base, video: bytes, caption: 'from disk', uploadChunkBytes: 8 * 1024 * 1024,
    onProgress: (e) => { if (e.step === 'uploaded') console.log(e.sent / e.total); },
  });
  await publishStory({ ...base, video: new Blob([bytes]) });
  await publishCarousel({ ...base, items: [{ imageUrl: 'https://cdn.example/a.jpg' }, { video: bytes }] });
  const fileJob: PublishJob = createPublishJob({ igUserId, media: { type: 'reel', videoFile: inspectVideo(bytes) } });
  await stepPublishJob({ config, accessToken, job: fileJob, files: [bytes] });
  const quota: PublishingQuota = await getPublishingQuota(base);
  let job: PublishJob = createPublishJob({ igUserId, media: { type: 'reel', videoUrl: 'https://cdn.example/a.mp4' } });
  const step: PublishStep = await stepPublishJob({ config, accessToken, job: JSON.stringify(job) });
  job = step.job;
  if (step.status === 'stalled' && step.error?.kind === 'timeout') job.options.maxCalls += 10;
  try {
    await publishImage({ ...base, imageUrl: 'https://cdn.example/a.jpg', signal });
  } catch (e) {
    if (e instanceof InstagateError && e.job) job = e.job;
  }
  return [image.mediaId ?? 'lost', reel.permalink, fromFile.mediaId, carousel.containerId, story.mediaId, quota.remaining,
    job.phase.step, step.nextAt].join(' ');
}
// @ts-expect-error a story is an image or a video, not both
void publishStory({ config, accessToken: 't', igUserId: '1', imageUrl: 'a', videoUrl: 'b' });
// @ts-expect-error a reel's video is a URL or bytes, not both
void publishReel({ config, accessToken: 't', igUserId: '1', videoUrl: 'a', video: new Uint8Array(1) });
// @ts-expect-error publishImage needs an imageUrl
void publishImage({ config, accessToken: 't', igUserId: '1' });
// @ts-expect-error media_type VIDEO is gone: there is no 'video' media
createPublishJob({ igUserId: '1', media: { type: 'video', videoUrl: 'a' } });
void publishing;
