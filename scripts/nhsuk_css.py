"""Write static/vendor/nhsuk-frontend.min.css: the NHS.UK stylesheet (node_modules, pinned in
package.json) without its @font-face rules, whose Frutiger fonts come from another host
(assets.nhs.uk) that our Content-Security-Policy blocks, and are licensed for NHS sites only,
so we do not copy them. Text falls back to the design system's own stack (Arial, sans-serif).
The icons' absolute /assets/ URLs are pointed at the package's files under /static/nhsuk/.

Run by scripts/bootstrap.sh (serve, test, production) after npm; idempotent.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "node_modules" / "nhsuk-frontend" / "dist" / "nhsuk" / "nhsuk-frontend.min.css"
TARGET = ROOT / "static" / "vendor" / "nhsuk-frontend.min.css"
FONT_FACE = re.compile(r"@font-face\s*\{[^}]*\}")


def without_remote_fonts(css: str) -> str:
    css = FONT_FACE.sub("", css)
    css = css.replace("url(/assets/", "url(../nhsuk/assets/")
    if re.search(r"url\((['\"]?)(https?:)?//", css):
        raise SystemExit("nhsuk_css: the stylesheet still loads something from another host")
    return css


def main() -> int:
    if not SOURCE.exists():
        print(f"!! {SOURCE} missing (npm ci not run): pages will be unstyled", file=sys.stderr)
        return 0
    css = without_remote_fonts(SOURCE.read_text(encoding="utf-8"))
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    if not TARGET.exists() or TARGET.read_text(encoding="utf-8") != css:
        TARGET.write_text(css, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
