"""chasm.core.paths: the repository root (overridable for tests), data/ and the cache."""

from __future__ import annotations

from chasm.core import paths


def test_root_holds_the_book_configuration():
    root = paths.repo_root()
    assert (root / "_config.yml").exists() and (root / "_toc.yml").exists()
    assert paths.data_dir() == root / "data"
    assert paths.measurements_dir() == root / "data" / "measurements"


def test_root_and_cache_can_be_overridden(tmp_path, monkeypatch):
    monkeypatch.setenv("CHASM_ROOT", str(tmp_path))
    assert paths.repo_root() == tmp_path.resolve()
    assert paths.data_dir() == tmp_path.resolve() / "data"
    monkeypatch.setenv("CHASM_CACHE", str(tmp_path / "cache"))
    assert paths.cache_dir() == tmp_path / "cache" and (tmp_path / "cache").is_dir()


def test_article_path_is_beside_the_repository(monkeypatch, tmp_path):
    monkeypatch.delenv("CHASM_ARTICLE", raising=False)
    assert paths.article_path().parent == paths.repo_root().parent / "shared" / "article"
    monkeypatch.setenv("CHASM_ARTICLE", str(tmp_path / "a.txt"))
    assert paths.article_path() == tmp_path / "a.txt"
