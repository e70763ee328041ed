"""What an uploaded file is, by its bytes, and a name for it that is safe to keep and show."""

import unicodedata
from pathlib import PurePath

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

MAX_PHOTO_BYTES = 8 * 1024 * 1024


def photo_type(data: bytes) -> str | None:
    """The kind of photo ``data`` is, by its first bytes (what the phone says is not trusted), or None
    for anything else — an SVG or a web page named .jpg would run in the reader's browser."""
    head = bytes(data[:32])
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[4:8] == b"ftyp" and head[8:12] in (b"heic", b"heix", b"hevc", b"heim", b"heis", b"mif1", b"msf1"):
        return "image/heic" if head[8:12] != b"mif1" else "image/heif"
    return None


def upload_name(name: str, *, limit: int = 200) -> str:
    """The file's own name without folders (``../../x.csv`` is ``x.csv``) or control characters (a line
    break would end a download's header), cut to ``limit`` characters keeping its suffix."""
    name = "".join(ch for ch in name.replace("\\", "/") if unicodedata.category(ch)[0] != "C")
    name = PurePath(name).name.strip() or "file"
    suffix = PurePath(name).suffix[:20]
    return name if len(name) <= limit else name[: limit - len(suffix)] + suffix


def check_photo(name: str, size: int, head: bytes) -> None:
    """Refuse, naming the file, a photo larger than MAX_PHOTO_BYTES or whose first bytes ``head`` are
    not a photo's."""
    if size > MAX_PHOTO_BYTES:
        raise ValidationError(_("“%(name)s” is larger than 8 MB.") % {"name": name})
    if photo_type(head) is None:
        raise ValidationError(_("“%(name)s” is not a photo (JPEG, PNG, GIF, WebP or HEIC).") % {"name": name})
