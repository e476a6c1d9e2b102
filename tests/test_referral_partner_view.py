"""What a partner reads of a referral another key made to its vacancy: the pseudonym, the
pipeline, and nothing the counselor's judgement of the person revealed (no constraint
verdict, no override, no number computed at the real home)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import issue_key
from tests.match_helpers import make_seeker, seeker_matches
from tests.test_referrals import partner_vacancy, refer


def test_a_counselors_referral_reads_to_the_partner_without_verdict_or_numbers(
    client: TestClient,
) -> None:
    counselor, partner = issue_key(client, "counselor"), issue_key(client, "partner")
    vacancy = partner_vacancy(client, partner)
    eligible = make_seeker(client)
    assert vacancy in [i["vacancy_id"] for i in seeker_matches(client, eligible)["items"]]
    blocked = make_seeker(client, max_km=0.5, location={"lat": 38.5, "lon": 113.2})
    plain = refer(client, counselor, seeker_id=eligible, vacancy_id=vacancy)
    overridden = refer(
        client,
        counselor,
        seeker_id=blocked,
        vacancy_id=vacancy,
        source="counselor",
        override={"reason": "she moves to the city next month"},
    )
    assert overridden["ranking"]["overridden"] and plain["ranking"]["score"] is not None

    listed = client.get("/v1/referrals", headers=partner)
    assert listed.status_code == 200, listed.text
    seen = {r["id"]: r for r in listed.json()["items"]}
    assert set(seen) == {plain["id"], overridden["id"]}
    for item in seen.values():
        assert item["seeker_id"] is None and item["candidate_id"].startswith("psn_")
        ranking = item["ranking"]
        assert (
            ranking["eligible"],
            ranking["overridden"],
            ranking["override_reason"],
            ranking["score"],
            ranking["probability"],
        ) == (None, None, None, None, None)
        assert all(e["key_id"] is None for e in item["events"])
    # The counselor still reads all of it.
    full = client.get(f"/v1/referrals/{overridden['id']}", headers=counselor).json()
    assert full["ranking"]["eligible"] is False and full["ranking"]["override_reason"]
