"""Real Mastodon answers, transcribed for the replay tests (tests never read outside the repo).

Every entry comes from halcy/Mastodon.py @ b9f2effbb5a9f07ebca3807466f4130e69b1614c, whose
vcrpy cassettes (``tests/cassettes/…``, path in each comment) were recorded against a real
Mastodon 4.6.4 dev server on localhost:3000 in 2026-08.  Bodies are as recorded (one string,
split only to keep lines short); headers are the ones that matter here (content type and the
rate-limit headers, whose reset is an ISO 8601 timestamp).  Media bytes were not kept by the
extract, only sizes and hashes, so the replay checks what the client sends by part names,
types and values, not by the recorded bytes.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Answer:
    """One recorded answer: status, reason, headers (lower-case names) and body."""

    status: int
    reason: str
    headers: dict[str, str] = field(default_factory=dict)
    body: str = ""


# What Mastodon.py sent, where it matters (from the same cassettes):
# - upload (test_media_post_multiple.yaml): multipart parts ``description``, ``focus``, ``file``,
#   the file part with a file name and ``Content-Type: image/jpeg``; text parts without one.
UPLOAD_PARTS = (("description", None), ("focus", None), ("file", "image/jpeg"))
UPLOAD_DESCRIPTION = "John Lennon doing a funny walk"
UPLOAD_FOCUS = "-0.5,0.3"
# - status (test_status_delete_media.yaml): ``application/x-www-form-urlencoded``, the id as a
#   repeated ``media_ids[]`` field; nothing else was sent (no visibility, no sensitive).
STATUS_FORM = (("status", "Status with media"), ("media_ids[]", "117020606032533890"))
STATUS_CONTENT_TYPE = "application/x-www-form-urlencoded"

# tests/cassettes/test_media_post_multiple.yaml: ``GET /api/v2/instance/`` of the real Mastodon
# 4.6.4 server (description_limit 10000, 28 supported_mime_types, max_characters 500,
# max_media_attachments 4, characters_reserved_per_url 23).
INSTANCE_V2 = Answer(
    200,
    "OK",
    {
        "content-type": "application/json; charset=utf-8",
        "x-ratelimit-limit": "300",
        "x-ratelimit-remaining": "299",
        "x-ratelimit-reset": "2026-08-01T13:55:00.136674Z",
    },
    '{"domain":"localhost:3000","title":"Mastodon","version":"4.6.4","source_url":"https://'
    'github.com/mastodon/mastodon","description":"","usage":{"users":{"active_month":0}},"t'
    'humbnail":{"url":"http://localhost:3000/packs-dev/images/preview.png","description":"T'
    'wo smiling cartoon mastodons (who look like elephants) toss a paper plane between them'
    ". They're surrounded by a bright blue sky and floating planets with trees and more mas"
    'todons on them."},"icon":[{"src":"http://localhost:3000/packs-dev/icons/android-chrome'
    '-36x36.png","size":"36x36"},{"src":"http://localhost:3000/packs-dev/icons/android-chro'
    'me-48x48.png","size":"48x48"},{"src":"http://localhost:3000/packs-dev/icons/android-ch'
    'rome-72x72.png","size":"72x72"},{"src":"http://localhost:3000/packs-dev/icons/android-'
    'chrome-96x96.png","size":"96x96"},{"src":"http://localhost:3000/packs-dev/icons/androi'
    'd-chrome-144x144.png","size":"144x144"},{"src":"http://localhost:3000/packs-dev/icons/'
    'android-chrome-192x192.png","size":"192x192"},{"src":"http://localhost:3000/packs-dev/'
    'icons/android-chrome-256x256.png","size":"256x256"},{"src":"http://localhost:3000/pack'
    's-dev/icons/android-chrome-384x384.png","size":"384x384"},{"src":"http://localhost:300'
    '0/packs-dev/icons/android-chrome-512x512.png","size":"512x512"}],"languages":["en"],"c'
    'onfiguration":{"urls":{"streaming":"ws://localhost:4000","status":null,"about":"http:/'
    '/localhost:3000/about","privacy_policy":"http://localhost:3000/privacy-policy","terms_'
    'of_service":null},"vapid":{"public_key":"BAhxXyHfAoMqrZECjRI56F5QrE4ynVlkZFMdKSpTIsWRN'
    'oWUVgut-Bnz2xsMSwiN4AF0b4I7ixF24OwiicOJivw="},"accounts":{"max_display_name_length":40'
    ',"max_note_length":500,"max_avatar_description_length":150,"max_header_description_len'
    'gth":150,"max_featured_tags":10,"max_pinned_statuses":5,"max_profile_fields":4,"profil'
    'e_field_name_limit":255,"profile_field_value_limit":255},"statuses":{"max_characters":'
    '500,"max_media_attachments":4,"characters_reserved_per_url":23},"media_attachments":{"'
    'description_limit":10000,"image_matrix_limit":33177600,"image_size_limit":16777216,"su'
    'pported_mime_types":["image/jpeg","image/png","image/gif","image/heic","image/heif","i'
    'mage/webp","image/avif","video/webm","video/mp4","video/quicktime","video/ogg","audio/'
    'wave","audio/wav","audio/x-wav","audio/x-pn-wave","audio/vnd.wave","audio/ogg","audio/'
    'vorbis","audio/mpeg","audio/mp3","audio/webm","audio/flac","audio/aac","audio/m4a","au'
    'dio/x-m4a","audio/mp4","audio/3gpp","video/x-ms-asf"],"video_frame_rate_limit":120,"vi'
    'deo_matrix_limit":8294400,"video_size_limit":103809024},"polls":{"max_options":4,"max_'
    'characters_per_option":50,"min_expiration":300,"max_expiration":2629746},"translation"'
    ':{"enabled":false},"timelines_access":{"live_feeds":{"local":"public","remote":"public'
    '"},"hashtag_feeds":{"local":"public","remote":"public"},"trending_link_feeds":{"local"'
    ':"public","remote":"public"}},"limited_federation":false},"registrations":{"enabled":t'
    'rue,"approval_required":false,"reason_required":false,"message":null,"min_age":null,"u'
    'rl":null},"api_versions":{"mastodon":11},"wrapstodon":null,"contact":{"email":"","acco'
    'unt":null},"rules":[]}',
)

# Same cassette: ``GET /api/v1/instance/`` (the v1 document has no description_limit).
INSTANCE_V1 = Answer(
    200,
    "OK",
    {
        "content-type": "application/json; charset=utf-8",
        "x-ratelimit-limit": "300",
        "x-ratelimit-remaining": "299",
        "x-ratelimit-reset": "2026-08-01T13:55:00.070114Z",
    },
    '{"uri":"localhost:3000","title":"Mastodon","short_description":"","description":"","em'
    'ail":"","version":"4.6.4","urls":{"streaming_api":"ws://localhost:4000"},"stats":{"use'
    'r_count":4,"status_count":3,"domain_count":1},"thumbnail":"http://localhost:3000/packs'
    '-dev/images/preview.png","languages":["en"],"registrations":true,"approval_required":f'
    'alse,"invites_enabled":true,"configuration":{"accounts":{"max_featured_tags":10},"stat'
    'uses":{"max_characters":500,"max_media_attachments":4,"characters_reserved_per_url":23'
    '},"media_attachments":{"supported_mime_types":["image/jpeg","image/png","image/gif","i'
    'mage/heic","image/heif","image/webp","image/avif","video/webm","video/mp4","video/quic'
    'ktime","video/ogg","audio/wave","audio/wav","audio/x-wav","audio/x-pn-wave","audio/vnd'
    '.wave","audio/ogg","audio/vorbis","audio/mpeg","audio/mp3","audio/webm","audio/flac","'
    'audio/aac","audio/m4a","audio/x-m4a","audio/mp4","audio/3gpp","video/x-ms-asf"],"image'
    '_size_limit":16777216,"image_matrix_limit":33177600,"video_size_limit":103809024,"vide'
    'o_frame_rate_limit":120,"video_matrix_limit":8294400},"polls":{"max_options":4,"max_ch'
    'aracters_per_option":50,"min_expiration":300,"max_expiration":2629746}},"contact_accou'
    'nt":null,"rules":[]}',
)

# tests/cassettes/test_media_post_file.yaml: ``POST /api/v2/media`` with one part ``file``
# (filename *.jpg, Content-Type image/jpeg, 53 310 bytes): 200 with ``url`` set, processed at once.
IMAGE_200 = Answer(
    200,
    "OK",
    {
        "content-type": "application/json; charset=utf-8",
        "x-ratelimit-limit": "30",
        "x-ratelimit-remaining": "29",
        "x-ratelimit-reset": "2026-08-01T14:00:00.732549Z",
    },
    '{"id":"117020576894251992","type":"image","url":"http://localhost:3000/system/media_at'
    'tachments/files/117/020/576/894/251/992/original/7d7d7696bb9ee509.jpg","preview_url":"'
    'http://localhost:3000/system/media_attachments/files/117/020/576/894/251/992/small/7d7'
    'd7696bb9ee509.jpg","remote_url":null,"preview_remote_url":null,"text_url":null,"meta":'
    '{"original":{"width":600,"height":600,"size":"600x600","aspect":1.0},"small":{"width":'
    '480,"height":480,"size":"480x480","aspect":1.0}},"description":null,"blurhash":"UGC~-#'
    'M{0JfkNFofR%M{IURj%Mt7E0oM%MR*"}',
)

# tests/cassettes/test_media_post_multiple.yaml: ``POST /api/v2/media`` with the parts
# ``description`` ("John Lennon doing a funny walk"), ``focus`` ("-0.5,0.3") and ``file``
# (image/jpeg), in that order: 200 with meta.focus.
IMAGE_DESC_FOCUS_200 = Answer(
    200,
    "OK",
    {
        "content-type": "application/json; charset=utf-8",
        "x-ratelimit-limit": "30",
        "x-ratelimit-remaining": "29",
        "x-ratelimit-reset": "2026-08-01T14:00:00.952260Z",
    },
    '{"id":"117020576646493592","type":"image","url":"http://localhost:3000/system/media_at'
    'tachments/files/117/020/576/646/493/592/original/963111bc1b0bd6b6.jpg","preview_url":"'
    'http://localhost:3000/system/media_attachments/files/117/020/576/646/493/592/small/963'
    '111bc1b0bd6b6.jpg","remote_url":null,"preview_remote_url":null,"text_url":null,"meta":'
    '{"original":{"width":600,"height":600,"size":"600x600","aspect":1.0},"small":{"width":'
    '480,"height":480,"size":"480x480","aspect":1.0},"focus":{"x":-0.5,"y":0.3}},"descripti'
    'on":"John Lennon doing a funny walk","blurhash":"UGC~-#M{0JfkNFofR%M{IURj%Mt7E0oM%MR*"'
    '}',
)

# tests/cassettes/test_media_post[True].yaml: ``POST /api/v2/media`` of a 1 995 751-byte
# video/mp4 (with a thumbnail part): 202 with ``url: null``.
VIDEO_202 = Answer(
    202,
    "Accepted",
    {
        "content-type": "application/json; charset=utf-8",
        "x-ratelimit-limit": "30",
        "x-ratelimit-remaining": "29",
        "x-ratelimit-reset": "2026-08-01T14:00:00.524560Z",
    },
    '{"id":"117020575776246986","type":"video","url":null,"preview_url":"http://localhost:3'
    '000/system/media_attachments/thumbnails/117/020/575/776/246/986/original/fc13dbf5f7602'
    '144.jpg","remote_url":null,"preview_remote_url":null,"text_url":null,"meta":{"colors":'
    '{"background":"#d9f3f3","foreground":"#0c0c0c","accent":"#0c0c0c"},"original":{"width"'
    ':640,"height":640,"frame_rate":"30/1","duration":7.3,"bitrate":2187124},"small":{"widt'
    'h":400,"height":400,"size":"400x400","aspect":1.0},"focus":{"x":-0.5,"y":0.3}},"descri'
    'ption":"me when a cat","blurhash":"UPN1Ddxup{IT9an~.8RjK-oy%gkE%#W?i^t6"}',
)

# Same cassette: ``GET /api/v1/media/117020575776246986`` after Mastodon.py's 5 s waits: 200,
# ``url`` set, meta.original with frame_rate/duration/bitrate.
VIDEO_GET_200 = Answer(
    200,
    "OK",
    {
        "content-type": "application/json; charset=utf-8",
        "x-ratelimit-limit": "300",
        "x-ratelimit-remaining": "299",
        "x-ratelimit-reset": "2026-08-01T13:55:00.824007Z",
    },
    '{"id":"117020575776246986","type":"video","url":"http://localhost:3000/system/media_at'
    'tachments/files/117/020/575/776/246/986/original/eeff5cc9d35a00aa.mp4","preview_url":"'
    'http://localhost:3000/system/media_attachments/thumbnails/117/020/575/776/246/986/orig'
    'inal/fc13dbf5f7602144.jpg","remote_url":null,"preview_remote_url":null,"text_url":null'
    ',"meta":{"focus":{"x":-0.5,"y":0.3},"colors":{"background":"#d9f3f3","foreground":"#0c'
    '0c0c","accent":"#0c0c0c"},"original":{"width":640,"height":640,"frame_rate":"30/1","du'
    'ration":7.3,"bitrate":2191346},"small":{"width":400,"height":400,"size":"400x400","asp'
    'ect":1.0}},"description":"me when a cat","blurhash":"UPN1Ddxup{IT9an~.8RjK-oy%gkE%#W?i'
    '^t6"}',
)

# tests/cassettes/test_media_update.yaml: ``PUT /api/v1/media/117020576701406190``
# (description, focus, thumbnail) while the video was processing: 206, ``url: null``.
# No 206 answer to a *poll* is on record; the replay serves this body (the attachment entity
# while processing) as a poll's 206.
VIDEO_PUT_206 = Answer(
    206,
    "Partial Content",
    {
        "content-type": "application/json; charset=utf-8",
        "x-ratelimit-limit": "300",
        "x-ratelimit-remaining": "299",
        "x-ratelimit-reset": "2026-08-01T13:55:00.928160Z",
    },
    '{"id":"117020576701406190","type":"video","url":null,"preview_url":"http://localhost:3'
    '000/system/media_attachments/thumbnails/117/020/576/701/406/190/original/558100f48fe84'
    '812.jpg","remote_url":null,"preview_remote_url":null,"text_url":null,"meta":{"focus":{'
    '"x":0.69,"y":0.69},"colors":{"background":"#d9f3f3","foreground":"#0c0c0c","accent":"#'
    '0c0c0c"},"original":{"width":640,"height":640,"frame_rate":"30/1","duration":7.3,"bitr'
    'ate":2187124},"small":{"width":400,"height":400,"size":"400x400","aspect":1.0}},"descr'
    'iption":"John Lennon doing a cool walk","blurhash":"UPN1Ddxup{IT9an~.8RjK-oy%gkE%#W?i^'
    't6"}',
)

# tests/cassettes/test_home_tl_anonymous_throws.yaml: 401 for an invalid token.
ERROR_401 = Answer(
    401,
    "Unauthorized",
    {
        "content-type": "application/json; charset=utf-8",
        "x-ratelimit-limit": "300",
        "x-ratelimit-remaining": "299",
        "x-ratelimit-reset": "2026-08-01T14:00:00.336319Z",
    },
    '{"error":"The access token is invalid"}',
)

# tests/cassettes/test_status_delete_media.yaml: ``POST /api/v1/statuses``, urlencoded
# ``status=Status with media&media_ids[]=117020606032533890`` (the recorded form, see
# STATUS_FORM): 200 with the Status (account defaults: sensitive true, visibility unlisted).
STATUS_WITH_MEDIA_200 = Answer(
    200,
    "OK",
    {
        "content-type": "application/json; charset=utf-8",
        "x-ratelimit-limit": "300",
        "x-ratelimit-remaining": "194",
        "x-ratelimit-reset": "2026-08-01T15:00:00.511058Z",
    },
    '{"id":"117020606035908211","created_at":"2026-08-01T13:59:03.468Z","in_reply_to_id":nu'
    'll,"in_reply_to_account_id":null,"sensitive":true,"spoiler_text":"","visibility":"unli'
    'sted","language":"en","uri":"http://localhost:3000/ap/users/117020565966271181/statuse'
    's/117020606035908211","url":"http://localhost:3000/@mastodonpy_test/117020606035908211'
    '","replies_count":0,"reblogs_count":0,"favourites_count":0,"quotes_count":0,"edited_at'
    '":null,"favourited":false,"reblogged":false,"muted":false,"bookmarked":false,"pinned":'
    'false,"content":"<p>Status with media</p>","filtered":[],"reblog":null,"application":{'
    '"name":"Mastodon.py test suite","website":null},"account":{"id":"117020565966271181","'
    'username":"mastodonpy_test","acct":"mastodonpy_test","display_name":"John Lennon","loc'
    'ked":true,"bot":false,"discoverable":null,"indexable":true,"group":false,"created_at":'
    '"2026-08-01T00:00:00.000Z","note":"<p>I walk funny</p>","url":"http://localhost:3000/@'
    'mastodonpy_test","uri":"http://localhost:3000/ap/users/117020565966271181","avatar":"h'
    'ttp://localhost:3000/system/accounts/avatars/117/020/565/966/271/181/original/5784df1f'
    'ebb9890a.jpg","avatar_static":"http://localhost:3000/system/accounts/avatars/117/020/5'
    '65/966/271/181/original/5784df1febb9890a.jpg","avatar_description":"","header":"http:/'
    '/localhost:3000/system/accounts/headers/117/020/565/966/271/181/original/31d1fc3117fb3'
    'e85.jpg","header_static":"http://localhost:3000/system/accounts/headers/117/020/565/96'
    '6/271/181/original/31d1fc3117fb3e85.jpg","header_description":"","followers_count":0,"'
    'following_count":0,"statuses_count":11,"last_status_at":"2026-08-01","hide_collections'
    '":true,"show_media":true,"show_media_replies":true,"show_featured":true,"noindex":fals'
    'e,"feature_approval":{"automatic":[],"manual":[],"current_user":"denied"},"emojis":[],'
    '"roles":[],"fields":[{"name":"bread","value":"toasty.","verified_at":null},{"name":"la'
    'sagna","value":"no!!!","verified_at":null}]},"media_attachments":[{"id":"1170206060325'
    '33890","type":"image","url":"http://localhost:3000/system/media_attachments/files/117/'
    '020/606/032/533/890/original/5acd59c19f4b7d96.jpg","preview_url":"http://localhost:300'
    '0/system/media_attachments/files/117/020/606/032/533/890/small/5acd59c19f4b7d96.jpg","'
    'remote_url":null,"preview_remote_url":null,"text_url":null,"meta":{"original":{"width"'
    ':600,"height":600,"size":"600x600","aspect":1.0},"small":{"width":480,"height":480,"si'
    'ze":"480x480","aspect":1.0}},"description":null,"blurhash":"UGC~-#M{0JfkNFofR%M{IURj%M'
    't7E0oM%MR*"}],"mentions":[],"tags":[],"emojis":[],"tagged_collections":[],"quote":null'
    ',"card":null,"poll":null,"quote_approval":{"automatic":["followers"],"manual":[],"curr'
    'ent_user":"automatic"}}',
)

# Same cassette: ``POST /api/v1/statuses`` with the id of media whose status had been deleted:
# 422; the message is localized (ja) by the account's locale — "Media … not found or already
# attached to another post" in English.
STATUS_MEDIA_GONE_422 = Answer(
    422,
    "Unprocessable Content",
    {
        "content-type": "application/json; charset=utf-8",
        "x-ratelimit-limit": "300",
        "x-ratelimit-remaining": "193",
        "x-ratelimit-reset": "2026-08-01T15:00:00.939190Z",
    },
    '{"error":"メディア (117020606032533890) が存在しないか、すでに添付して投稿されています"}',
)

# Same cassette: ``DELETE /api/v1/statuses/<an already deleted id>``: 404.
RECORD_NOT_FOUND_404 = Answer(
    404,
    "Not Found",
    {
        "content-type": "application/json; charset=utf-8",
        "x-ratelimit-limit": "30",
        "x-ratelimit-remaining": "29",
        "x-ratelimit-reset": "2026-08-01T14:00:00.984606Z",
    },
    '{"error":"Record not found"}',
)
