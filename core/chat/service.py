"""The chat's use cases: ask a question, read the history, rebuild the index.

`ask` answers with the configured language model when there is one, fed only the asking
user's retrieved documents and grounded facts; otherwise (the default) with the grounded
answerer, or the most relevant retrieved facts. A model that is unreachable or fails
mid-answer yields a notice and the grounded answer. Every answer lists its sources and every
exchange is stored in `ChatHistory`.

Retrieval is always filtered by the asking user's id (see `core.chat.index`), and each
user's documents are rebuilt when their data changed, so answers follow edits, imports and
forecasts without waiting for the nightly re-index.
"""

from __future__ import annotations

import hashlib
import logging
import unicodedata

from langchain_core.documents import Document
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.chat import index, repository
from core.chat.documents import build_help_documents, build_user_documents
from core.chat.forecasts import NOT_ADVICE
from core.chat.grounded import answer_grounded
from core.chat.help_text import help_text
from core.chat.intents import OUT_OF_SCOPE, Question, parse_question
from core.chat.llm import LanguageModelError, build_chat_model, describe_model, generate_answer
from core.chat.schemas import MAX_MESSAGE_CHARS, ChatAnswer, Source
from core.config import Settings
from core.db.loop_reads import bounded_read
from core.db.tables import ChatHistory, User
from core.errors import InvalidInputError
from core.logs import time_execution
from core.portfolio.activities import traded_tickers
from core.portfolio.holdings import held_tickers

logger = logging.getLogger(__name__)

RETRIEVED_DOCUMENTS = 4  # given to a language model
FACTS_SHOWN = 3  # quoted by the built-in answer
NOTHING_FOUND = "I found nothing about that in your portfolio data or the app's help. Try asking about your "
NOTHING_FOUND += "portfolio's value, P&L, largest, best and worst holdings, closed positions, dividends and fees, "
NOTHING_FOUND += "cash, allocation, risk, or a ticker's forecast."
# Answers that must carry the caveat even when a language model words them.
CAVEATED_INTENTS = {"advice", "forecast"}


def validate_message(message: str) -> str:
    """The question, trimmed; InvalidInputError when it is empty or too long."""
    text = "".join(ch for ch in (message or "") if ch in "\n\t" or unicodedata.category(ch)[0] != "C").strip()
    if not text:
        raise InvalidInputError("the question is empty: type a question about your portfolio")
    if len(text) > MAX_MESSAGE_CHARS:
        raise InvalidInputError(
            f"the question is too long ({len(text)} characters); keep it under {MAX_MESSAGE_CHARS} characters"
        )
    return text


def _ensure_help(settings: Settings) -> None:
    fingerprint = hashlib.sha256(help_text().encode()).hexdigest()[:32]
    if index.owner_fingerprint(settings.chroma_dir, index.SHARED_OWNER) != fingerprint:
        index.sync_owner_documents(settings.chroma_dir, index.SHARED_OWNER, list(build_help_documents()), fingerprint)


def reindex_user(session: Session, *, settings: Settings, user: User) -> int:
    """Rebuild one user's documents (and the shared help if it changed); returns their count."""
    _ensure_help(settings)
    documents = build_user_documents(session, settings=settings, user=user)
    fingerprint = repository.state_fingerprint(session, user=user)
    return index.sync_owner_documents(settings.chroma_dir, user.id, documents, fingerprint)


@time_execution
def reindex_all(session: Session, *, settings: Settings) -> int:
    """Rebuild every active user's documents and drop those of deleted or inactive users;
    returns the number of documents indexed (help included)."""
    _ensure_help(settings)
    users = list(session.scalars(select(User).where(User.is_active.is_(True)).order_by(User.id)))
    keep = {user.id for user in users} | {index.SHARED_OWNER}
    for owner_id in index.owner_ids(settings.chroma_dir) - keep:
        index.remove_owner(settings.chroma_dir, owner_id)
    total = len(build_help_documents())
    for user in users:
        total += reindex_user(session, settings=settings, user=user)
    return total


def retrieve(
    session: Session, *, settings: Settings, user: User, question: Question, k: int = RETRIEVED_DOCUMENTS
) -> list[Document]:
    """The `k` documents most relevant to the question among this user's and the help,
    re-indexing the user first if their data changed since."""
    _ensure_help(settings)
    if index.owner_fingerprint(settings.chroma_dir, user.id) != repository.state_fingerprint(session, user=user):
        reindex_user(session, settings=settings, user=user)
    hits = index.search(settings.chroma_dir, owner_id=user.id, query=question.text, k=k, tickers=question.tickers)
    return [document for document, _score in hits]


def document_source(document: Document) -> Source:
    meta = document.metadata
    return Source(
        title=meta.get("title", "Document"),
        kind=meta.get("kind", "document"),
        ticker=meta.get("ticker"),
        document_id=document.id,
        snippet=document.page_content[:400],
    )


def _retrieved_answer(documents: list[Document]) -> str:
    if not documents:
        return NOTHING_FOUND
    shown = documents[:FACTS_SHOWN]
    return "Here is what I found in your data:\n\n" + "\n".join(f"- {d.page_content}" for d in shown)


def _notice(settings: Settings, error: LanguageModelError) -> str:
    what = describe_model(settings)
    happened = "failed mid-answer" if error.partial else "could not answer"
    return f"The language model ({what}) {happened}: {error.message}. Showing the built-in answer instead."


def ask(session: Session, *, settings: Settings, user: User, message: str, stream: bool = True) -> ChatAnswer:
    """Answer `message` from this user's data; stores the question and the answer."""
    text = validate_message(message)
    own = held_tickers(session, owner=user) + traded_tickers(session, owner=user)
    question = parse_question(text, names=repository.all_ticker_names(session), own=own)
    grounded = answer_grounded(session, settings=settings, user=user, question=question)
    model = build_chat_model(settings)
    notice = None
    if question.intent == OUT_OF_SCOPE and grounded is not None:
        # Nothing in the user's data is about it: no retrieval, no model, no sources.
        answer, sources = grounded.text, []
    elif model is None and grounded is not None and grounded.sources:
        answer, sources = grounded.text, grounded.sources
    else:
        documents = retrieve(session, settings=settings, user=user, question=question)
        retrieved_sources = [document_source(d) for d in documents[: FACTS_SHOWN if model is None else None]]
        fallback = grounded.text if grounded is not None else _retrieved_answer(documents)
        sources = (grounded.sources if grounded is not None else []) + retrieved_sources
        answer = fallback
        if model is not None:
            context = "\n".join(f"- {d.page_content}" for d in documents)
            if grounded is not None:
                context = f"- Computed by the app: {grounded.text}\n{context}"
            try:
                answer = generate_answer(model, question=text, context=context, stream=stream)
            except LanguageModelError as exc:
                notice = _notice(settings, exc)
            if question.intent in CAVEATED_INTENTS and NOT_ADVICE not in answer:
                answer = f"{answer}\n\n{NOT_ADVICE}"
    repository.add_chat_message(session, user=user, role="user", content=text, sources=[])
    stored_sources = [source.model_dump(exclude_none=True) for source in sources]
    repository.add_chat_message(session, user=user, role="assistant", content=answer, sources=stored_sources)
    logger.info("chat answered", extra={"intent": question.intent, "sources": len(sources), "llm": model is not None})
    return ChatAnswer(answer=answer, sources=sources, notice=notice)


@bounded_read
def list_chat_history(
    session: Session, *, user: User, limit: int = 50, offset: int = 0
) -> tuple[list[ChatHistory], int]:
    """The user's messages (questions and answers), newest first, with the total count."""
    if limit < 1 or offset < 0:
        raise InvalidInputError("limit must be positive and offset not negative")
    return repository.list_chat_messages(session, user=user, limit=limit, offset=offset)
