"""Chat: ask about your own portfolio in plain words; every answer shows its sources."""

from __future__ import annotations

from typing import Any

import streamlit as st

from core.chat.schemas import MAX_MESSAGE_CHARS
from core.chat.service import ask, list_chat_history
from ui.auth import require_login
from ui.feedback import shown_errors
from ui.loaders import call_as, current_settings

HISTORY_SHOWN = 50
EXAMPLES = [
    "What is my portfolio worth?",
    "What is my best and worst holding?",
    "How is my portfolio allocated?",
    "How risky is my portfolio?",
    "What is the forecast for AAPL?",
    "Which model is most accurate for AAPL?",
    "How did my predictions do?",
]


def as_markdown(text: str) -> str:
    # "$" would start LaTeX in Streamlit's markdown.
    return text.replace("$", r"\$")


def render_sources(sources: list[dict[str, Any]]) -> None:
    if not sources:
        return
    with st.expander(f"Sources ({len(sources)})"):
        for source in sources:
            st.markdown(as_markdown(f"**{source.get('title', 'Document')}** · {source.get('kind', '')}"))
            if source.get("snippet"):
                st.caption(as_markdown(source["snippet"]))


account = require_login("Chat")
st.title("Chat")
st.caption(
    "Answers come from your own portfolio data and the app's help, computed by Stockcast itself "
    "(or by the configured language model, given only your data). Each answer lists its sources."
)

with shown_errors("load your conversation"):
    rows, total = call_as(account.id, list_chat_history, user_arg="user", limit=HISTORY_SHOWN)
    if not rows:
        st.info("Ask a question below, for example:\n\n" + "\n".join(f"- {example}" for example in EXAMPLES))
    elif total > HISTORY_SHOWN:
        st.caption(f"Showing your last {HISTORY_SHOWN} messages of {total}.")
    for row in reversed(rows):
        with st.chat_message(row.role):
            st.markdown(as_markdown(row.content))
            render_sources(row.sources)

question = st.chat_input("Ask about your portfolio…", max_chars=MAX_MESSAGE_CHARS)
if question:
    with st.chat_message("user"):
        st.markdown(as_markdown(question))
    with st.chat_message("assistant"), shown_errors("answer the question"), st.spinner("Thinking…"):
        reply = call_as(account.id, ask, user_arg="user", settings=current_settings(), message=question)
        if reply.notice:
            st.warning(reply.notice)
        st.markdown(as_markdown(reply.answer))
        render_sources([source.model_dump(exclude_none=True) for source in reply.sources])
