// web.mjs — the public Instagram pages the stand-in serves for published media, so a
// person (or a browser test) can see what was posted:
//   GET /www.instagram.com/{username}/                 the account's feed and stories
//   GET /www.instagram.com/p/{shortcode}/              a feed post or carousel
//   GET /www.instagram.com/reel/{shortcode}/           a reel
//   GET /www.instagram.com/stories/{username}/{id}/    a story
//   GET /www.instagram.com/static/profile/{username}.svg  profile picture
// Media URLs are shown as text (the stand-in never fetches them) and as <img>/<video>.

import { escapeHtml, html, page } from './http.mjs';

export function webRoute(state, ctx) {
  const segs = ctx.path.split('/').filter(Boolean);
  if (ctx.method !== 'GET') return null;
  if (segs[0] === 'static' && segs[1] === 'profile' && segs.length === 3) return profilePicture(state, segs[2]);
  if ((segs[0] === 'p' || segs[0] === 'reel') && segs.length === 2) {
    const m = [...state.media.values()].find((x) => x.shortcode === segs[1] && !x.parent);
    return m ? html(200, mediaPage(state, m)) : notFound();
  }
  if (segs[0] === 'stories' && segs.length === 3) {
    const m = state.media.get(segs[2]);
    return m && m.username === segs[1] && m.productType === 'STORY' ? html(200, mediaPage(state, m)) : notFound();
  }
  if (segs.length === 1) {
    const account = state.igAccounts.find((a) => a.username === segs[0]);
    return account ? html(200, feedPage(state, account)) : notFound();
  }
  return null;
}

function kindLabel(m) {
  if (m.productType === 'STORY') return `STORY (${m.mediaType})`;
  if (m.productType === 'REELS') return 'REELS';
  return m.mediaType; // IMAGE or CAROUSEL_ALBUM
}

function mediaBlock(state, m) {
  const children = m.children.map((id) => state.media.get(id));
  const visual = (x) => (x.mediaType === 'VIDEO'
    ? `<video src="${escapeHtml(x.mediaUrl)}" controls preload="none" width="320"></video>`
    : `<img src="${escapeHtml(x.mediaUrl)}" alt="${escapeHtml(x.altText ?? '')}" width="320" loading="lazy">`);
  return `
<article class="media" data-media-id="${escapeHtml(m.id)}" data-kind="${escapeHtml(kindLabel(m))}" data-shortcode="${escapeHtml(m.shortcode)}">
  <p class="kind">${escapeHtml(kindLabel(m))} · <time datetime="${escapeHtml(m.timestamp)}">${escapeHtml(m.timestamp)}</time> · <a class="permalink" href="${escapeHtml(m.permalink)}">permalink</a></p>
  ${m.caption ? `<p class="caption">${escapeHtml(m.caption)}</p>` : ''}
  ${children.length === 0
    ? `<p>Media URL: <code class="media-url">${escapeHtml(m.mediaUrl)}</code></p>${visual(m)}`
    : `<ol class="carousel-children">${children.map((c) => `
    <li data-media-id="${escapeHtml(c.id)}" data-kind="${escapeHtml(c.mediaType)}">${escapeHtml(c.mediaType)}: <code class="media-url">${escapeHtml(c.mediaUrl)}</code><br>${visual(c)}</li>`).join('')}
  </ol>`}
  ${m.collaborators?.length ? `<p class="collaborators">With ${m.collaborators.map((c) => `@${escapeHtml(c)}`).join(', ')}</p>` : ''}
</article>`;
}

function mediaPage(state, m) {
  return page(`@${m.username} on Instagram (stand-in)`, `
<h1><a href="${escapeHtml(`${state.origin}/www.instagram.com/${m.username}/`)}">@${escapeHtml(m.username)}</a></h1>
${mediaBlock(state, m)}`);
}

function feedPage(state, account) {
  const all = [...state.media.values()]
    .filter((m) => m.owner === account.user_id && !m.parent)
    .sort((a, b) => b.publishedAt - a.publishedAt || (BigInt(b.id) > BigInt(a.id) ? 1 : -1));
  const posts = all.filter((m) => m.productType !== 'STORY');
  const stories = all.filter((m) => m.productType === 'STORY');
  return page(`@${account.username} (stand-in)`, `
<h1>@${escapeHtml(account.username)}</h1>
<p>${escapeHtml(account.name)} · ${escapeHtml(account.account_type)} · <span id="post-count">${posts.length}</span> posts</p>
<section id="stories"><h2>Stories</h2>${stories.length ? stories.map((m) => mediaBlock(state, m)).join('') : '<p>No stories.</p>'}</section>
<section id="posts"><h2>Posts</h2>${posts.length ? posts.map((m) => mediaBlock(state, m)).join('') : '<p class="empty">No posts yet.</p>'}</section>`);
}

function profilePicture(state, file) {
  const username = file.replace(/\.svg$/, '');
  const account = state.igAccounts.find((a) => a.username === username);
  if (!account) return notFound();
  const initials = account.name.split(/\s+/).map((w) => w[0]).join('').slice(0, 2);
  return {
    status: 200,
    headers: { 'content-type': 'image/svg+xml' },
    body: `<svg xmlns="http://www.w3.org/2000/svg" width="150" height="150"><rect width="150" height="150" fill="#c13584"/><text x="75" y="90" font-size="48" text-anchor="middle" fill="#fff" font-family="sans-serif">${escapeHtml(initials)}</text></svg>`,
  };
}

function notFound() {
  return html(404, page("Page not found (stand-in)", "<h1>Sorry, this page isn't available.</h1><p>The link you followed may be broken, or the page may have been removed.</p>"));
}
