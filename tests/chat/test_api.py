"""The chat API through the real app."""

from __future__ import annotations

from core.chat.schemas import MAX_MESSAGE_CHARS
from tests.chat.factories import add_ticker


async def test_ask_and_read_history(api, chat_settings):
    headers = await api.signup()
    await api.run(add_ticker, symbol="ORCH")
    response = await api.client.post(
        "/api/portfolio/stock", json={"ticker": "ORCH", "quantity": 4, "avg_cost": 50}, headers=headers
    )
    assert response.status_code == 201, response.text

    response = await api.client.post("/api/chat", json={"message": "What is my portfolio worth?"}, headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert "worth" in body["answer"] and body["sources"][0]["kind"] == "portfolio" and body["notice"] is None

    await api.client.post("/api/chat", json={"message": "How do I import a CSV?"}, headers=headers)
    page = (await api.client.get("/api/chat", params={"limit": 3}, headers=headers)).json()
    assert page["total"] == 4 and page["limit"] == 3 and len(page["items"]) == 3
    assert [item["role"] for item in page["items"]] == ["assistant", "user", "assistant"]
    assert page["items"][0]["sources"] and page["items"][1]["content"] == "How do I import a CSV?"
    rest = (await api.client.get("/api/chat", params={"limit": 3, "offset": 3}, headers=headers)).json()
    assert [item["content"] for item in rest["items"]] == ["What is my portfolio worth?"]


async def test_history_is_the_callers_own(api, chat_settings):
    alice, bob = await api.signup(), await api.signup()
    await api.client.post("/api/chat", json={"message": "What is my portfolio worth?"}, headers=alice)
    page = (await api.client.get("/api/chat", headers=bob)).json()
    assert page["total"] == 0 and page["items"] == []


async def test_bad_questions_are_refused_clearly(api, chat_settings):
    headers = await api.signup()
    for message, phrase in (("   ", "empty"), ("x" * (MAX_MESSAGE_CHARS + 1), "too long")):
        response = await api.client.post("/api/chat", json={"message": message}, headers=headers)
        assert response.status_code == 422 and phrase in response.json()["detail"]
    response = await api.client.post("/api/chat", json={}, headers=headers)
    assert response.status_code == 422
    assert (await api.client.get("/api/chat", headers=headers)).json()["total"] == 0


async def test_chat_needs_a_login(api):
    assert (await api.client.post("/api/chat", json={"message": "hi"})).status_code == 401
    assert (await api.client.get("/api/chat")).status_code == 401
