"""Every paged list answers in one envelope, and a page far past the end is an empty page."""

import pytest

HUGE = 10**30


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/questions/{slug}/comments",
        "/api/v1/questions/{slug}/scores",
        "/api/v1/moderation/comments",
    ],
)
@pytest.mark.parametrize("page", [1, 2, HUGE])
def test_paged_lists_share_one_envelope_and_end_in_empty_pages(
    client, seed, moderator_token, path, page
):
    response = client.get(
        path.format(slug=seed),
        query_string={"page": page},
        headers={"Authorization": f"Bearer {moderator_token}"},
    )
    assert response.status_code == 200, response.json
    body = response.json
    envelope = body.get("leaderboard", body)
    assert {"items", "page", "pages", "total"} <= set(envelope)
    assert envelope["items"] == [] and envelope["total"] == 0
    assert envelope["page"] == page and envelope["pages"] == 1
