"""The persistent ChromaDB index of chat documents, one collection for every user.

Every document carries `owner_id` in its metadata: a user's id for their portfolio documents,
`SHARED_OWNER` (0) for the app's help text. `search` is the only way to read the index and
always filters on the asking user's id (plus the shared help), so one user's documents can
never be retrieved for another, whatever the question says.

Documents are embedded client-side by `MiniLMEmbeddings` through `langchain_chroma.Chroma`,
so Chroma never persists or calls an embedding function of its own (its default one
downloads a model).

Several processes use the index (API, UI, job runner). A Chroma client keeps its vector
index in memory and does not see another process's writes, so every write bumps a version
file beside the index and every operation opens the store as of the current version (a
reopen costs ~15 ms, and happens only after a write).
"""

from __future__ import annotations

import hashlib
import logging
import os
import uuid
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from langchain_core.documents import Document

from core.chat.embeddings import get_embeddings

if TYPE_CHECKING:
    from langchain_chroma import Chroma

logger = logging.getLogger(__name__)

COLLECTION_NAME = "stockcast_chat"
SHARED_OWNER = 0
# Each owner has one "state" entry holding the fingerprint of the data its documents came from.
STATE_KEY = "state"
VERSION_FILE = "stockcast-index-version"


def _read_version(chroma_dir: Path) -> str:
    try:
        return (chroma_dir / VERSION_FILE).read_text()
    except FileNotFoundError:
        return ""


def _bump_version(chroma_dir: Path) -> None:
    temporary = chroma_dir / f"{VERSION_FILE}.{uuid.uuid4().hex}"
    temporary.write_text(uuid.uuid4().hex)
    os.replace(temporary, chroma_dir / VERSION_FILE)  # atomic: readers see one version or the other


@lru_cache(maxsize=8)
def _open_version(chroma_dir: str, version: str) -> Chroma:
    """A fresh client on `chroma_dir` (`version` only keys the cache: a new one reopens)."""
    import chromadb
    from chromadb.api.shared_system_client import SharedSystemClient
    from chromadb.config import Settings as ChromaSettings
    from langchain_chroma import Chroma

    # Chroma shares one in-memory system per path and process; drop it to read the files anew.
    SharedSystemClient._identifier_to_system.pop(chroma_dir, None)
    client = chromadb.PersistentClient(path=chroma_dir, settings=ChromaSettings(anonymized_telemetry=False))
    logger.debug("chat index opened", extra={"path": chroma_dir, "version": version})
    return Chroma(collection_name=COLLECTION_NAME, embedding_function=get_embeddings(), client=client)


def open_store(chroma_dir: str | Path) -> Chroma:
    """The vector store under `chroma_dir` as of its latest write, by any process."""
    path = Path(chroma_dir)
    path.mkdir(parents=True, exist_ok=True)
    return _open_version(str(path), _read_version(path))


def _check_owner(owner_id: int, *, allow_shared: bool = False) -> None:
    if not isinstance(owner_id, int) or owner_id < 0 or (owner_id == SHARED_OWNER and not allow_shared):
        raise ValueError(f"invalid owner id {owner_id!r}")


def _state_id(owner_id: int) -> str:
    return f"{owner_id}:{STATE_KEY}"


def owner_fingerprint(chroma_dir: str | Path, owner_id: int) -> str | None:
    """The fingerprint the owner's documents were last synced with, or None if never."""
    _check_owner(owner_id, allow_shared=True)
    store = open_store(chroma_dir)
    metadatas = store.get(ids=[_state_id(owner_id)], include=["metadatas"]).get("metadatas") or []
    return metadatas[0].get("fingerprint") if metadatas else None


def _digest(document: Document) -> str:
    payload = repr((document.page_content, sorted(document.metadata.items(), key=lambda item: item[0])))
    return hashlib.sha256(payload.encode()).hexdigest()[:24]


def sync_owner_documents(chroma_dir: str | Path, owner_id: int, documents: list[Document], fingerprint: str) -> int:
    """Make the owner's indexed documents exactly `documents`, embedding only new or changed
    ones, and record `fingerprint`; returns how many documents the owner now has.

    Each document's `metadata["key"]` names it within the owner (its id is `owner:key`).
    """
    _check_owner(owner_id, allow_shared=True)
    store = open_store(chroma_dir)
    wanted: dict[str, tuple[Document, dict]] = {}
    for document in documents:
        metadata = {k: v for k, v in document.metadata.items() if v is not None}
        metadata.update(owner_id=owner_id, digest=_digest(document))
        wanted[f"{owner_id}:{metadata['key']}"] = (document, metadata)
    existing = store.get(where={"owner_id": owner_id}, include=["metadatas"])
    indexed = {
        id_: (meta or {}).get("digest") for id_, meta in zip(existing["ids"], existing["metadatas"], strict=True)
    }
    stale = [id_ for id_ in indexed if id_ not in wanted and id_ != _state_id(owner_id)]
    if stale:
        store.delete(ids=stale)
    changed = [id_ for id_, (_doc, meta) in wanted.items() if indexed.get(id_) != meta["digest"]]
    if changed:
        store.add_texts(
            [wanted[id_][0].page_content for id_ in changed], metadatas=[wanted[id_][1] for id_ in changed], ids=changed
        )
    state = {"owner_id": owner_id, "kind": STATE_KEY, "key": STATE_KEY, "fingerprint": fingerprint}
    store.add_texts(["index state"], metadatas=[state], ids=[_state_id(owner_id)])
    _bump_version(Path(chroma_dir))
    logger.info("chat documents synced", extra={"owner_id": owner_id, "embedded": len(changed), "removed": len(stale)})
    return len(wanted)


def remove_owner(chroma_dir: str | Path, owner_id: int) -> None:
    """Drop every document of an owner (a deleted or deactivated user)."""
    _check_owner(owner_id)
    store = open_store(chroma_dir)
    ids = store.get(where={"owner_id": owner_id}, include=[])["ids"]
    if ids:
        store.delete(ids=ids)
        _bump_version(Path(chroma_dir))


def owner_ids(chroma_dir: str | Path) -> set[int]:
    """Every owner with documents in the index."""
    metadatas = open_store(chroma_dir).get(include=["metadatas"]).get("metadatas") or []
    return {int(metadata["owner_id"]) for metadata in metadatas if "owner_id" in metadata}


def search(
    chroma_dir: str | Path, *, owner_id: int, query: str, k: int = 4, tickers: tuple[str, ...] = ()
) -> list[tuple[Document, float]]:
    """The `k` documents nearest to `query` among the owner's and the shared ones.

    Documents about a ticker named in the question come first (a short symbol like "KO"
    carries little meaning for a sentence model); the rest follow by similarity.
    """
    _check_owner(owner_id)
    store = open_store(chroma_dir)
    visible = {"$and": [{"owner_id": {"$in": [owner_id, SHARED_OWNER]}}, {"kind": {"$ne": STATE_KEY}}]}
    vector = get_embeddings().embed_query(query)
    hits: list[tuple[Document, float]] = []
    if tickers:
        about = {"$and": [{"owner_id": owner_id}, {"ticker": {"$in": list(tickers)}}, {"kind": {"$ne": STATE_KEY}}]}
        hits = store.similarity_search_by_vector_with_relevance_scores(vector, k=k, filter=about)
    seen = {doc.id for doc, _ in hits}
    for doc, score in store.similarity_search_by_vector_with_relevance_scores(vector, k=k, filter=visible):
        if doc.id not in seen:
            hits.append((doc, score))
    # Belt and braces: the filter already guarantees it, but nothing else may leave here.
    return [(doc, score) for doc, score in hits if doc.metadata.get("owner_id") in (owner_id, SHARED_OWNER)][:k]
