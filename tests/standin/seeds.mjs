// seeds.mjs — the seeded world the stand-in starts from (and returns to on reset):
// the app registry, the Instagram accounts, the Facebook users and their Pages.
//
// Every ID is a decimal string above 2^53 (9007199254740992), as Meta's are, so a
// client that turns an ID into a JavaScript number loses digits and is caught.
// Keys ("biz", "fb_linked", ...) are short names tests use to pick an account.

export const DEFAULT_CLIENT_ID = '1000000000000001';
export const DEFAULT_CLIENT_SECRET = 'standin-app-secret';
export const APP_NAME = 'Instagate Stand-in App';

// Instagram professional (and one personal) accounts.
//   user_id      — the Instagram professional account ID (the <IG_ID> used in
//                  /<IG_ID>/media on both graph hosts).
//   scoped_id    — the app-scoped Instagram user ID that Business Login returns as
//                  `user_id` from api.instagram.com/oauth/access_token and as `id`
//                  from graph.instagram.com/me.
//   account_type — BUSINESS | MEDIA_CREATOR | PERSONAL.
export function seedIgAccounts() {
  return [
    {
      key: 'biz',
      user_id: '17841400000000001',
      scoped_id: '27400000000000001',
      username: 'standin_bakery',
      name: 'Stand-in Bakery',
      account_type: 'BUSINESS',
      followers_count: 1520,
      follows_count: 180,
      biography: 'Bread, cakes and test fixtures.',
    },
    {
      key: 'creator',
      user_id: '17841400000000002',
      scoped_id: '27400000000000002',
      username: 'standin_creator',
      name: 'Stand-in Creator',
      account_type: 'MEDIA_CREATOR',
      followers_count: 48210,
      follows_count: 312,
      biography: 'Short videos, long captions.',
    },
    {
      key: 'personal',
      user_id: '17841400000000003',
      scoped_id: '27400000000000003',
      username: 'standin_personal',
      name: 'Stand-in Personal',
      account_type: 'PERSONAL',
      followers_count: 87,
      follows_count: 95,
      biography: '',
    },
    {
      key: 'agency_cafe',
      user_id: '17841400000000005',
      scoped_id: '27400000000000005',
      username: 'standin_cafe',
      name: 'Stand-in Cafe',
      account_type: 'BUSINESS',
      followers_count: 2310,
      follows_count: 140,
      biography: 'Coffee, managed by an agency.',
    },
    {
      key: 'agency_gym',
      user_id: '17841400000000006',
      scoped_id: '27400000000000006',
      username: 'standin_gym',
      name: 'Stand-in Gym',
      account_type: 'BUSINESS',
      followers_count: 980,
      follows_count: 60,
      biography: 'Lifting test fixtures since 2026.',
    },
    {
      key: 'biz2',
      user_id: '17841400000000004',
      scoped_id: '27400000000000004',
      username: 'standin_florist',
      name: 'Stand-in Florist',
      account_type: 'BUSINESS',
      followers_count: 640,
      follows_count: 75,
      biography: 'Flowers for every test run.',
    },
  ];
}

// Facebook Pages. instagram_business_account is the IG user_id linked to the Page.
export function seedPages() {
  return [
    { id: '10300000000000001', name: 'Stand-in Bakery', category: 'Bakery', instagram_business_account: '17841400000000001' },
    { id: '10300000000000002', name: 'Stand-in Florist Blog', category: 'Personal Blog', instagram_business_account: null },
    { id: '10300000000000003', name: 'Stand-in Florist', category: 'Florist', instagram_business_account: '17841400000000004' },
    { id: '10300000000000004', name: 'Stand-in Garage', category: 'Automotive Repair Shop', instagram_business_account: null },
    { id: '10300000000000005', name: 'Stand-in Cafe', category: 'Cafe', instagram_business_account: '17841400000000005' },
    { id: '10300000000000006', name: 'Stand-in Gym', category: 'Gym/Physical Fitness Center', instagram_business_account: '17841400000000006' },
  ];
}

// Facebook users for Facebook Login, and the Pages each one manages.
export function seedFbUsers() {
  return [
    { key: 'fb_linked', id: '10200000000000001', name: 'Lena Linked', pages: ['10300000000000001'] },
    { key: 'fb_two_pages', id: '10200000000000002', name: 'Tom Two-Pages', pages: ['10300000000000002', '10300000000000003'] },
    { key: 'fb_no_ig', id: '10200000000000003', name: 'Nora No-Instagram', pages: ['10300000000000004'] },
    // An agency: four Pages, three of them linked to an Instagram account, so
    // one Facebook login grants several accounts (and /me/accounts pages).
    {
      key: 'fb_agency',
      id: '10200000000000004',
      name: 'Ada Agency',
      pages: ['10300000000000005', '10300000000000004', '10300000000000006', '10300000000000003'],
    },
  ];
}

// Scopes each login product knows. Anything else is refused on the consent page.
// Business Login for Instagram:
//   https://developers.facebook.com/documentation/instagram-platform/instagram-api-with-instagram-login/business-login
//   (the old business_* values were retired on January 27, 2025, so they are refused).
export const IG_SCOPES = [
  'instagram_business_basic',
  'instagram_business_content_publish',
  'instagram_business_manage_messages',
  'instagram_business_manage_comments',
  'instagram_business_manage_insights',
];

// Facebook Login permissions relevant to the Instagram API with Facebook Login.
export const FB_SCOPES = [
  'public_profile',
  'email',
  'openid',
  'instagram_basic',
  'instagram_content_publish',
  'instagram_manage_comments',
  'instagram_manage_insights',
  'instagram_manage_messages',
  'pages_show_list',
  'pages_read_engagement',
  'pages_manage_metadata',
  'business_management',
  'ads_management',
  'ads_read',
];
