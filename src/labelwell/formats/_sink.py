"""Where folder formats (YOLO, VOC, panoptic, ``save_to_disk``) write: a real
directory, or a zip archive streamed to a binary file (what ``Exporter.write``
gets from the CLI and API). Files are written one at a time, so memory stays
flat whatever the number of items."""

from __future__ import annotations

import shutil
import zipfile
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import IO, Any, BinaryIO


def copy_spooled(spool: IO[bytes], out: IO[bytes]) -> None:
    """Append to ``out`` what was spooled to a temporary file (the annotations a
    JSON export writes after its images or videos)."""
    spool.seek(0)
    shutil.copyfileobj(spool, out, 1 << 20)


class Sink:
    def open(self, rel: str) -> AbstractContextManager[IO[bytes]]:  # pragma: no cover - interface
        raise NotImplementedError

    def write(self, rel: str, data: bytes) -> None:
        with self.open(rel) as fh:
            fh.write(data)

    def copy(self, src: Path, rel: str) -> None:
        with src.open("rb") as fin, self.open(rel) as fout:
            shutil.copyfileobj(fin, fout)

    def close(self) -> None:
        pass


class DirSink(Sink):
    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    @contextmanager
    def open(self, rel: str) -> Iterator[IO[bytes]]:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as fh:
            yield fh


class ZipSink(Sink):
    """Zip entries written in turn; works on unseekable streams too."""

    def __init__(self, out: IO[bytes]) -> None:
        self.zf = zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1)

    @contextmanager
    def open(self, rel: str) -> Iterator[IO[bytes]]:
        with self.zf.open(rel, "w", force_zip64=True) as fh:
            yield fh

    def close(self) -> None:
        self.zf.close()


class FolderExporter:
    """Base of exporters that write a folder layout: ``write`` streams it as a zip,
    ``export_dir`` writes the folder itself; subclasses implement ``_export``."""

    extension = "zip"
    media_type = "application/zip"

    def __init__(
        self,
        labels: str = "consensus",
        control: str | None = None,
        default_split: str = "train",
        copy_images: bool = True,
    ) -> None:
        from labelwell.formats._select import check_mode

        self.labels = check_mode(labels)
        self.control = control
        self.default_split = default_split
        self.copy_images = copy_images

    def write(self, records: Any, out: BinaryIO, ontology: Any) -> int:
        sink = ZipSink(out)
        try:
            return self._export(records, sink, ontology)
        finally:
            sink.close()

    def export_dir(self, records: Any, directory: Path, ontology: Any) -> int:
        return self._export(records, DirSink(directory), ontology)

    def _export(self, records: Any, sink: Sink, ontology: Any) -> int:
        raise NotImplementedError
