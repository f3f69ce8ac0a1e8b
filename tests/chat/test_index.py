"""The index seen from several processes: a write by one is visible to the others."""

from __future__ import annotations

import subprocess
import sys

from langchain_core.documents import Document

from core.chat import index
from core.chat.embeddings import get_embeddings
from core.config import REPO_ROOT

OWNER = 424242


def _doc(key: str, text: str) -> Document:
    return Document(page_content=text, metadata={"key": key, "kind": "holding", "title": key})


def test_another_process_removing_documents_is_seen(tmp_path, embedding_model):
    chroma_dir = tmp_path / "chroma"
    index.sync_owner_documents(chroma_dir, OWNER, [_doc("holding:ORCH", "Holding ORCH: 40 shares")], "v1")
    assert [d.metadata["key"] for d, _ in index.search(chroma_dir, owner_id=OWNER, query="ORCH shares")] == [
        "holding:ORCH"
    ]
    # As the nightly job would, from its own process: the user is gone.
    code = f"from core.chat.index import remove_owner; remove_owner({str(chroma_dir)!r}, {OWNER})"
    subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, check=True, timeout=120)
    assert index.search(chroma_dir, owner_id=OWNER, query="ORCH shares") == []
    assert index.owner_fingerprint(chroma_dir, OWNER) is None


def test_another_process_adding_documents_is_seen(tmp_path, embedding_model):
    chroma_dir = tmp_path / "chroma"
    index.sync_owner_documents(chroma_dir, OWNER, [_doc("holding:ORCH", "Holding ORCH: 40 shares")], "v1")
    assert len(index.search(chroma_dir, owner_id=OWNER, query="VOLT shares", k=5)) == 1
    vector = get_embeddings().embed_query("Holding VOLT: 9 shares")
    # Another process writes (raw Chroma, so it needs no model) and bumps the version, as
    # `sync_owner_documents` does.
    code = f"""
import chromadb
from chromadb.config import Settings
from core.chat import index
from core.chat.embeddings import get_embeddings
client = chromadb.PersistentClient(path={str(chroma_dir)!r}, settings=Settings(anonymized_telemetry=False))
client.get_collection(index.COLLECTION_NAME).add(
    ids=["{OWNER}:holding:VOLT"], embeddings=[{vector!r}], documents=["Holding VOLT: 9 shares"],
    metadatas=[{{"owner_id": {OWNER}, "key": "holding:VOLT", "kind": "holding", "title": "VOLT"}}])
index._bump_version(index.Path({str(chroma_dir)!r}))
"""
    subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, check=True, timeout=120)
    found = index.search(chroma_dir, owner_id=OWNER, query="VOLT shares", k=5)
    assert found[0][0].metadata["key"] == "holding:VOLT"


def test_sync_embeds_only_what_changed(tmp_path, embedding_model):
    chroma_dir = tmp_path / "chroma"
    documents = [_doc("holding:ORCH", "Holding ORCH: 40 shares"), _doc("holding:VOLT", "Holding VOLT: 5 shares")]
    assert index.sync_owner_documents(chroma_dir, OWNER, documents, "v1") == 2
    documents[1] = _doc("holding:VOLT", "Holding VOLT: 9 shares")
    assert index.sync_owner_documents(chroma_dir, OWNER, documents[1:], "v2") == 1
    [(found, _score)] = index.search(chroma_dir, owner_id=OWNER, query="VOLT", k=5)
    assert found.page_content == "Holding VOLT: 9 shares" and index.owner_fingerprint(chroma_dir, OWNER) == "v2"
