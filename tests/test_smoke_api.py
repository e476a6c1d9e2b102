from fastapi.testclient import TestClient

from tests.factories import employer_body, seeker_body, vacancy_body


def test_round_trip(client: TestClient) -> None:
    employer = client.post("/v1/employers", json=employer_body())
    assert employer.status_code == 201, employer.text
    vacancy = client.post("/v1/vacancies", json=vacancy_body(employer.json()["id"]))
    assert vacancy.status_code == 201, vacancy.text
    seeker = client.post("/v1/seekers", json=seeker_body())
    assert seeker.status_code == 201, seeker.text
