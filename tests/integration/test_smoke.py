import pytest


@pytest.mark.req("P11-04")
def test_login_page_and_demo_login(client, users, auth):
    assert client.get("/login").status_code == 200
    response = auth.login("inv.user")
    assert response.status_code == 302
    assert client.get("/").status_code == 200
