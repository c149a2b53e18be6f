"""check_links.py ROOT: the links and file references in ROOT/README.md and ROOT/docs/**/*.md resolve.

- Markdown links and images ([text](target), [label]: target) and HTML href/src to a relative target:
  the file must exist inside ROOT (a link that leaves the repository is broken for every reader of a
  clone), and a #anchor must name a heading (or an id) of the target.
- Paths named in the text that start at a folder of the repository (src/..., docs/..., tests/...):
  the file or folder must exist, so that a renamed or missing file is caught where a doc mentions it.

Exits 1 and lists each broken one as FILE:LINE: problem."""
import os
import re
import sys
import unicodedata

root = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else ".")
TOP_FOLDERS = ("src", "include", "docs", "tests", "tools", "qgis", "bench", "cmake", "sample_data")
LINK = re.compile(r"!?\[(?:[^\]\[]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+.*)?$")
HTML = re.compile(r"""(?:href|src)\s*=\s*["']([^"']+)["']""")
PATH = re.compile(r"(?<![\w./-])((?:%s)/[\w./*<>{}$-]*[\w/])" % "|".join(TOP_FOLDERS))
PLACEHOLDER = re.compile(r"[*<>{}$]")  # tests/test_*.cpp, docs/<name>.md: patterns, not files
HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$")
EXPLICIT_ID = re.compile(r"""<a\s+(?:name|id)\s*=\s*["']([^"']+)["']|\sid\s*=\s*["']([^"']+)["']""")


def markdown_files():
    files = [os.path.join(root, "README.md")]
    for folder, _, names in os.walk(os.path.join(root, "docs")):
        files += [os.path.join(folder, n) for n in sorted(names) if n.endswith(".md")]
    return [f for f in files if os.path.isfile(f)]


def slug(heading):
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"`|\*\*|__|\[([^\]]*)\]\([^)]*\)", r"\1", heading).strip().lower()
    kept = "".join(c for c in text if c in " -_" or unicodedata.category(c)[0] in "LN")
    return kept.replace(" ", "-")


anchor_cache = {}


def anchors(path):
    if path not in anchor_cache:
        found, counts, fenced = set(), {}, False
        with open(path, encoding="utf-8") as f:
            for line in f:
                if line.lstrip().startswith(("```", "~~~")):
                    fenced = not fenced
                    continue
                for a, b in EXPLICIT_ID.findall(line):
                    found.add(a or b)
                m = HEADING.match(line) if not fenced else None
                if m:
                    base = slug(m.group(1))
                    n = counts.get(base, 0)
                    counts[base] = n + 1
                    found.add(base if n == 0 else f"{base}-{n}")
        anchor_cache[path] = found
    return anchor_cache[path]


def inside_root(path):
    return os.path.normpath(path) == root or os.path.normpath(path).startswith(root + os.sep)


def check_link(source, target):
    if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", target) or target.startswith("//"):
        return None  # a URL: not checked here (no network in tests)
    path, _, anchor = target.partition("#")
    resolved = os.path.normpath(os.path.join(os.path.dirname(source), path)) if path else source
    if not inside_root(resolved):
        return f"link to {target} leaves the repository"
    if not os.path.exists(resolved):
        return f"link to {target}: no such file"
    if anchor and resolved.endswith(".md") and anchor not in anchors(resolved):
        return f"link to {target}: {os.path.relpath(resolved, root)} has no heading #{anchor}"
    return None


def main():
    problems = []
    for source in markdown_files():
        name = os.path.relpath(source, root)
        fenced = False
        with open(source, encoding="utf-8") as f:
            for number, line in enumerate(f, 1):
                if line.lstrip().startswith(("```", "~~~")):
                    fenced = not fenced
                    continue
                if not fenced:
                    prose = re.sub(r"`[^`]*`", "", line)  # a link inside a code span is not a link
                    targets = LINK.findall(prose) + HTML.findall(prose)
                    m = REFERENCE.match(prose)
                    if m:
                        targets.append(m.group(1))
                    for target in targets:
                        problem = check_link(source, target)
                        if problem:
                            problems.append(f"{name}:{number}: {problem}")
                for mention in PATH.findall(line):
                    mention = mention.rstrip(".")
                    if not PLACEHOLDER.search(mention) and not os.path.exists(os.path.join(root, mention)):
                        problems.append(f"{name}:{number}: names {mention}, which does not exist")
    for problem in problems:
        print(problem)
    print(f"{len(markdown_files())} files checked, {len(problems)} broken links or references")
    return 1 if problems else 0


sys.exit(main())
