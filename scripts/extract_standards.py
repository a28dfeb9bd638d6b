"""Generate concerns/data/hee_quality_framework_2021.json from the framework's text.

    python scripts/extract_standards.py ../shared/reference/hee-quality-framework-2021.txt

Each domain's full title is the single-line "DOMAIN N. Title" heading; its standards are the
paragraphs under "Quality standards" that start "N.M ", up to "Quality descriptors" or the
running page header.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

DOMAIN = re.compile(r"^DOMAIN (\d)\. (.+)$")
STANDARD = re.compile(r"^(\d)\.(\d{1,2}) (.*)$")
STOP = ("Quality descriptors", " The HEE Quality Framework", "DOMAIN ")


def extract(text: str) -> list[dict]:
    domains: dict[int, dict] = {}
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i].rstrip()
        heading = DOMAIN.match(line)
        if heading and i + 2 < len(lines) and lines[i + 2].strip() == "Quality standards":
            number = int(heading.group(1))
            domain = domains.setdefault(
                number, {"number": number, "title": heading.group(2).strip(), "standards": []}
            )
            i += 3
            current: list[str] | None = None
            while i < len(lines) and not lines[i].startswith(STOP):
                row = lines[i].strip()
                start = STANDARD.match(row)
                if start and int(start.group(1)) == number:
                    current = [start.group(3)]
                    domain["standards"].append(
                        {"code": f"{number}.{start.group(2)}", "number": int(start.group(2))}
                    )
                    domain["standards"][-1]["_parts"] = current
                elif row and current is not None:
                    current.append(row)
                elif not row:
                    current = None
                i += 1
            continue
        i += 1
    result = []
    for number in sorted(domains):
        domain = domains[number]
        for standard in domain["standards"]:
            parts = standard.pop("_parts")
            joined = ""
            for part in parts:
                # Words broken across lines with a hyphen ("multi-\nprofessional") keep it.
                joined = f"{joined}{part}" if joined.endswith("-") else f"{joined} {part}"
            standard["text"] = re.sub(r"\s+", " ", joined).strip()
        result.append(domain)
    return result


def main() -> None:
    source = Path(
        sys.argv[1] if len(sys.argv) > 1 else "../shared/reference/hee-quality-framework-2021.txt"
    )
    data = extract(source.read_text(encoding="utf-8"))
    out = Path(__file__).resolve().parent.parent / "concerns/data/hee_quality_framework_2021.json"
    out.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    total = sum(len(d["standards"]) for d in data)
    print(f"{len(data)} domains, {total} standards -> {out}")


if __name__ == "__main__":
    main()
