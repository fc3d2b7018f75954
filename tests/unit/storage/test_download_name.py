"""The name a download is saved under (GET /api/assets/...?download=1&name=...): the site's title and index,
never a path, a control character or another extension than the blob's own."""

from __future__ import annotations

import pytest

from shared.storage.assets import MAX_DOWNLOAD_NAME, download_name


@pytest.mark.parametrize("requested, expected", [
    ("경복궁의 밤-3f9a2c-2.psd", "경복궁의 밤-3f9a2c-2.psd"),
    ("경복궁의 밤-3f9a2c-2", "경복궁의 밤-3f9a2c-2.psd"),           # the blob's extension is added
    ("report.exe", "report.exe.psd"),                                # ... and can never be replaced
    ("../../etc/passwd.PSD", "etcpasswd.psd"),                       # no folders, no leading dots
    ('a<b>:c"d|e?f*g\\h\x00\x1f\u2028.psd', "abcdefgh.psd"),         # no characters file systems refuse
    ("  . .  ", "2.psd"),                                            # nothing left: the blob's own name
    (None, "2.psd"),
    ("", "2.psd"),
])
def test_download_name_keeps_the_title_and_the_blobs_extension(requested, expected):
    assert download_name("outputs/abc123/2.psd", requested) == expected


def test_a_long_title_is_cut_but_keeps_its_extension():
    name = download_name("outputs/x/1.png", "가" * 500)
    assert name == "가" * MAX_DOWNLOAD_NAME + ".png"
