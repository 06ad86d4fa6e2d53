"""Let nbval test the book's MyST Markdown notebooks.

nbval only collects ``.ipynb`` files. This collector picks up every ``.md`` file
under ``book/`` whose front matter has a jupytext header and a kernelspec, reads
it with ``jupytext.read`` and hands it to nbval as a notebook: each code cell is
a test item, run in order in one kernel (cwd: the page's folder, as in the
book build). Plain Markdown pages are not collected.

    .venv/bin/python -m pytest book --nbval-lax -p no:cacheprovider

Use ``--nbval-lax``: outputs are not compared, a cell fails only if it raises,
so each page states what it checks in ``assert`` cells (tagged ``remove-cell``
to hide them from readers). Without ``--nbval``/``--nbval-lax`` nothing here is
collected.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import jupytext
import pytest
import yaml
from nbval.plugin import IPyNbCell, IPyNbFile, find_comment_markers, find_metadata_tags


def _front_matter(path: Path) -> dict:
    text = path.read_text(encoding="utf-8")
    if not text.startswith("---"):
        return {}
    end = text.find("\n---", 3)
    if end < 0:
        return {}
    try:
        meta = yaml.safe_load(text[3:end])
    except yaml.YAMLError:
        return {}
    return meta if isinstance(meta, dict) else {}


def is_myst_notebook(path: Path) -> bool:
    """True for a MyST Markdown notebook: front matter with jupytext and a kernelspec."""
    meta = _front_matter(path)
    return isinstance(meta.get("jupytext"), dict) and isinstance(meta.get("kernelspec"), dict)


class MystNotebookFile(IPyNbFile):
    """nbval's notebook collector, reading the notebook with jupytext."""

    def collect(self):
        # Same as IPyNbFile.collect (nbval 0.11) except for how the notebook is read.
        self.nb = jupytext.read(self.path)
        cell_num = 0
        for cell in self.nb.cells:
            if cell.cell_type != "code":
                continue
            options = defaultdict(bool, find_metadata_tags(cell.metadata))
            options.update(dict(find_comment_markers(cell.source)))
            options.setdefault("check", self.compare_outputs)
            yield IPyNbCell.from_parent(self, name=f"Cell {cell_num}", cell_num=cell_num, cell=cell, options=options)
            cell_num += 1


def pytest_collect_file(file_path: Path, parent: pytest.Collector):
    opt = parent.config.option
    if not (getattr(opt, "nbval", False) or getattr(opt, "nbval_lax", False)):
        return None
    if file_path.suffix != ".md" or not is_myst_notebook(file_path):
        return None
    return MystNotebookFile.from_parent(parent, path=file_path)
