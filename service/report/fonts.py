"""Finding a font the PDF can set Chinese in, on a machine that may have none.

The service ships no font: a CJK face is 5-20 MB, and PyPI has no well-kept package of one.
Debian's ``fonts-noto-cjk`` (or the small ``fonts-wqy-microhei``) is looked for through
fontconfig and at its usual paths; failing that, DejaVu Sans (Latin, Greek, Cyrillic) or
the PDF core font, with what they cannot draw replaced and the PDF saying so."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class FontFace:
    """A font file (``index``: the face within a .ttc collection), with a bold one if any."""

    path: Path
    index: int = 0
    bold: Path | None = None
    bold_index: int = 0
    cjk: bool = True


# Debian's packages, best first (Noto Sans CJK covers far more rare name characters).
KNOWN_CJK = (
    (
        "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
        "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    ),
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", None),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", None),
    ("/usr/share/fonts/truetype/arphic/uming.ttc", None),
    ("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", None),
)
KNOWN_LATIN = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
)
# Within a collection, the face for Simplified Chinese.
_SIMPLIFIED = (" SC", " CN", "GB", "Micro Hei", "Zen Hei", "Fallback")


def _simplified_face(path: Path) -> int:
    """The index of the Simplified Chinese face of a .ttc (Noto CJK holds JP, KR, SC, ...)."""
    if path.suffix.lower() not in (".ttc", ".otc"):
        return 0
    try:
        from fontTools.ttLib import TTCollection

        collection = TTCollection(str(path), lazy=True)
        for i, face in enumerate(collection.fonts):
            family = face["name"].getDebugName(1) or ""
            if any(tag in family for tag in _SIMPLIFIED):
                return i
    except Exception:  # an unreadable collection: its first face, as fpdf2 would take
        return 0
    return 0


def _from_fontconfig() -> FontFace | None:
    """A regular face fontconfig lists for zh-cn, preferring Sans and Simplified faces."""
    if shutil.which("fc-list") is None:
        return None
    try:
        out = subprocess.run(
            ["fc-list", "-f", "%{file}\t%{index}\t%{family}\t%{style}\n", ":lang=zh-cn"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    faces = []
    for line in out.splitlines():
        parts = line.split("\t")
        if len(parts) != 4 or not parts[0].lower().endswith((".ttf", ".ttc", ".otf", ".otc")):
            continue
        file, number, family, style = parts
        if "Mono" in family or not any(s in style for s in ("Regular", "Book", "Medium")):
            continue
        score = (("Sans" in family or "Hei" in family), any(tag in family for tag in _SIMPLIFIED))
        faces.append((score, file, int(number) if number.isdigit() else 0))
    if not faces:
        return None
    _, file, index = max(faces, key=lambda f: f[0])
    return FontFace(path=Path(file), index=index)


def find_cjk_font() -> FontFace | None:
    """A font with Simplified Chinese on this machine, or None."""
    for regular, bold in KNOWN_CJK:
        path = Path(regular)
        if path.is_file():
            bold_path = Path(bold) if bold and Path(bold).is_file() else None
            return FontFace(
                path=path,
                index=_simplified_face(path),
                bold=bold_path,
                bold_index=_simplified_face(bold_path) if bold_path else 0,
            )
    return _from_fontconfig()


def find_latin_font() -> FontFace | None:
    regular, bold = (Path(p) for p in KNOWN_LATIN)
    if not regular.is_file():
        return None
    return FontFace(path=regular, bold=bold if bold.is_file() else None, cjk=False)


def find_font() -> FontFace | None:
    """The best font here for the report, or None for the PDF core font (Helvetica)."""
    return find_cjk_font() or find_latin_font()
