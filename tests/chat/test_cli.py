"""`python -m core chat reindex` through the command line's entry point."""

from __future__ import annotations

from core.cli import main


def test_reindex_everyone(use_settings, embedding_model, capsys):
    assert main(["chat", "reindex"]) == 0
    out = capsys.readouterr().out
    assert "chat index:" in out and str(use_settings.chroma_dir) in out


def test_reindex_an_unknown_user(use_settings, embedding_model, capsys):
    assert main(["chat", "reindex", "--email", "nobody@example.com"]) == 2
    assert "no user with e-mail nobody@example.com" in capsys.readouterr().err
