from __future__ import annotations

import pytest

from core.config import Settings


@pytest.fixture(scope="session")
def embedding_model():
    """The MiniLM model, loaded once for the whole run (~5 s)."""
    from core.chat.embeddings import load_sentence_model

    return load_sentence_model()


@pytest.fixture
def chat_settings(settings: Settings, embedding_model) -> Settings:
    """The test settings (no language model configured), with the embedding model loaded."""
    assert not settings.ollama_host and not settings.openai_base_url
    return settings
