"""Real Twitter/X answers, transcribed for the replay tests (tests never read outside the repo).

Provenance of each entry is in its comment.  The cassettes are tweepy's, recorded against
the real ``upload.twitter.com`` / ``api.twitter.com`` (media bytes were not kept; only their
sizes); the STATUS bodies are Twitter's *documentation examples* as kept in twitter-ruby's
fixtures (not traffic: no STATUS exchange was ever recorded), with the recorded media id put
in place of the documentation's ``710511363345354753`` so one upload reads consistently; the
v2 FINALIZE is the one real v2 answer on record, quoted by a user in an issue thread.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Answer:
    """One recorded answer: status, reason, headers (as recorded, lower-case) and body."""

    status: int
    reason: str
    headers: dict[str, str] = field(default_factory=dict)
    body: str = ""


_JSON = "application/json;charset=utf-8"
_ATTACHMENT = "attachment; filename=json.json"

# tweepy/tweepy @ c05ba988177219f1591b3bf03b8896b427c8b233, cassettes/testmediauploadpng.yaml
# (2021-01): API.media_upload('assets/banner.png'), one multipart part ``media`` with
# filename="banner.png" and no part Content-Type, 3 844 bytes.
SIMPLE_PNG_SIZE = 3844
SIMPLE_PNG = Answer(
    200,
    "OK",
    {
        "content-disposition": _ATTACHMENT,
        "content-type": _JSON,
        "x-rate-limit-limit": "415",
        "x-rate-limit-remaining": "412",
        "x-rate-limit-reset": "1610467320",
    },
    '{"media_id":1349010955083132928,"media_id_string":"1349010955083132928","size":3844,'
    '"expires_after_secs":86400,"image":{"image_type":"image\\/png","w":1252,"h":626}}',
)

# Same commit, cassettes/testmediauploadgif.yaml: simple upload of a 1 021 636-byte GIF,
# part ``media`` with filename="animated.gif", no part Content-Type.
SIMPLE_GIF_SIZE = 1021636
SIMPLE_GIF = Answer(
    200,
    "OK",
    {
        "content-disposition": _ATTACHMENT,
        "content-type": _JSON,
        "x-rate-limit-limit": "415",
        "x-rate-limit-remaining": "413",
        "x-rate-limit-reset": "1610467320",
    },
    '{"media_id":1349010951484399617,"media_id_string":"1349010951484399617","size":1021636,'
    '"expires_after_secs":86400,"image":{"image_type":"image\\/gif","w":320,"h":240}}',
)

# Same commit, cassettes/testmediauploadmp4.yaml (2021-01): chunked upload of a
# 1 577 963-byte MP4 without media_category.  INIT body exactly
# ``command=INIT&total_bytes=1577963&media_type=video%2Fmp4`` (urlencoded); APPEND parts in the
# order command, media_id, segment_index, media (filename, no part Content-Type), 1 048 576 and
# 529 387 bytes; FINALIZE urlencoded ``command=FINALIZE&media_id=…``.
MP4_SIZE = 1577963
MP4_SEGMENTS = (1048576, 529387)
APPEND_PART_ORDER = ("command", "media_id", "segment_index", "media")
NOCATEGORY_INIT = Answer(
    202,
    "Accepted",
    {
        "content-disposition": _ATTACHMENT,
        "content-type": _JSON,
        "x-mediaid": "1349803915521482754",
        "x-rate-limit-limit": "200",
        "x-rate-limit-remaining": "196",
        "x-rate-limit-reset": "1610654844",
    },
    '{"media_id":1349803915521482754,"media_id_string":"1349803915521482754",'
    '"expires_after_secs":86400}',
)


def append_answer(media_id: str, remaining: int) -> Answer:
    """APPEND as recorded: 204, empty body, ``text/html``, x-segmentcount/x-totalbytes 0."""
    return Answer(
        204,
        "No Content",
        {
            "content-type": "text/html;charset=utf-8",
            "x-mediaid": media_id,
            "x-rate-limit-limit": "20000",
            "x-rate-limit-remaining": str(remaining),
            "x-rate-limit-reset": "1610654846",
            "x-segmentcount": "0",
            "x-totalbytes": "0",
        },
    )


NOCATEGORY_FINALIZE = Answer(
    201,
    "Created",
    {
        "content-disposition": _ATTACHMENT,
        "content-type": _JSON,
        "x-mediaid": "1349803915521482754",
        "x-rate-limit-limit": "615",
        "x-rate-limit-remaining": "611",
        "x-rate-limit-reset": "1610654846",
    },
    '{"media_id":1349803915521482754,"media_id_string":"1349803915521482754","size":1577963,'
    '"expires_after_secs":86400,"video":{"video_type":"video\\/mp4"}}',
)

# tweepy/tweepy @ 84abf933ec8f43c57bd56481c17e4d1457c47537, cassettes/testvideoupload.yaml
# (2020-09, since removed): media_category=tweet_video.  INIT fields in the order command,
# media_type, total_bytes, media_category; INIT 202 *with* media_key; APPEND parts as above
# (part Content-Type video/mp4 there); FINALIZE **200** with processing_info pending.
VIDEO_INIT = Answer(
    202,
    "Accepted",
    {
        "content-disposition": _ATTACHMENT,
        "content-type": _JSON,
        "x-mediaid": "1302644179944734720",
        "x-rate-limit-limit": "200",
        "x-rate-limit-remaining": "179",
        "x-rate-limit-reset": "1599410046",
    },
    '{"media_id":1302644179944734720,"media_id_string":"1302644179944734720",'
    '"expires_after_secs":86399,"media_key":"7_1302644179944734720"}',
)
VIDEO_FINALIZE = Answer(
    200,
    "OK",
    {
        "content-disposition": _ATTACHMENT,
        "content-type": _JSON,
        "x-rate-limit-limit": "615",
        "x-rate-limit-remaining": "613",
        "x-rate-limit-reset": "1599412793",
    },
    '{"media_id":1302644179944734720,"media_id_string":"1302644179944734720",'
    '"media_key":"7_1302644179944734720","size":1577963,"expires_after_secs":86400,'
    '"processing_info":{"state":"pending","check_after_secs":1}}',
)

# sferik/twitter-ruby @ 0843b2ac9e9dd94a050167cdf68756b9dbbb621f,
# test/fixtures/chunk_upload_status_{pending,succeeded,failed}.json: Twitter's documentation
# examples of STATUS (no media_key, no size), media id replaced by the recorded one above.
STATUS_IN_PROGRESS = Answer(
    200,
    "OK",
    {"content-type": _JSON},
    '{"media_id":1302644179944734720,"media_id_string":"1302644179944734720",'
    '"expires_after_secs":3595,'
    '"processing_info":{"state":"in_progress","check_after_secs":10,"progress_percent":8}}',
)
STATUS_SUCCEEDED = Answer(
    200,
    "OK",
    {"content-type": _JSON},
    '{"media_id":1302644179944734720,"media_id_string":"1302644179944734720",'
    '"expires_after_secs":3593,"video":{"video_type":"video/mp4"},'
    '"processing_info":{"state":"succeeded","progress_percent":100}}',
)
STATUS_FAILED = Answer(
    200,
    "OK",
    {"content-type": _JSON},
    '{"media_id":1302644179944734720,"media_id_string":"1302644179944734720",'
    '"processing_info":{"state":"failed","progress_percent":12,'
    '"error":{"code":1,"name":"InvalidMedia","message":"Unsupported video format"}}}',
)

# tweepy/tweepy @ c05ba98, cassettes/testupdatestatuswithmedia.yaml (2019-07), real
# api.twitter.com: statuses/update_with_media, ``status`` in the query, one multipart part
# ``media[]`` (Content-Type image/png).  The 3.5 KB Tweet is shortened to the fields a client
# reads; the media-quota headers are as recorded.
UPDATE_WITH_MEDIA = Answer(
    200,
    "OK",
    {
        "content-disposition": _ATTACHMENT,
        "content-type": _JSON,
        "x-mediaratelimit-class": "photos",
        "x-mediaratelimit-limit": "6000",
        "x-mediaratelimit-remaining": "5976",
        "x-mediaratelimit-reset": "1563065162",
    },
    '{"created_at":"Sat Jul 13 05:33:14 +0000 2019","id":1149914662164684800,'
    '"id_str":"1149914662164684800","text":"testing 1000 https:\\/\\/t.co\\/kIbedWfwG2",'
    '"truncated":false,"entities":{"hashtags":[],"symbols":[],"user_mentions":[],"urls":[],'
    '"media":[{"id":1149914661267148800,"id_str":"1149914661267148800","indices":[13,36],'
    '"media_url_https":"https:\\/\\/pbs.twimg.com\\/media\\/D_VRSrrXkAAYzkx.png",'
    '"url":"https:\\/\\/t.co\\/kIbedWfwG2","type":"photo"}]},'
    '"user":{"id":1072250532645998596,"id_str":"1072250532645998596","screen_name":"TweepyDev"},'
    '"possibly_sensitive":false,"lang":"en"}',
)

# Quoted by users from the real services (no headers recorded beyond Content-Type):
# FeedHive/twitter-api-client#55, draftbit/twitter-lite#99, pipacs/o2#118.
ERROR_401_CODE_32 = Answer(
    401,
    "Unauthorized",
    {"content-type": _JSON},
    '{"errors":[{"code":32,"message":"Could not authenticate you."}]}',
)
# reneraab/node-twitter-api#33, spring-attic/spring-social-twitter#111.
ERROR_400_MEDIA_TYPE = Answer(
    400,
    "Bad Request",
    {"content-type": _JSON},
    '{"request":"\\/1.1\\/media\\/upload.json","error":"media type unrecognized."}',
)
# sferik/x-ruby#54 (2025-05): the real v2 FINALIZE answer for a JPEG, 201 with data.image.
V2_FINALIZE_IMAGE = Answer(
    201,
    "Created",
    {"content-type": "application/json; charset=utf-8"},
    '{"data": {"id": "1920164881153900544", "media_key": "3_1920164881153900544", '
    '"size": 174575, "expires_after_secs": 86400, '
    '"image": {"image_type": "image/jpeg", "w": 682, "h": 1024}}}',
)
V2_IMAGE_SIZE = 174575
# PROTOCOLS.md §9, the OpenAPI spec's initialize answer shape (documentation), with the id of
# the real FINALIZE above so the two read as one upload.
V2_INITIALIZE = Answer(
    200,
    "OK",
    {"content-type": "application/json; charset=utf-8"},
    '{"data":{"id":"1920164881153900544","media_key":"3_1920164881153900544",'
    '"expires_after_secs":86400}}',
)
