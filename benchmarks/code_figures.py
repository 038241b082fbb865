"""Figures of the code's shape: long files and functions, package cycles, commits by module.

python -m benchmarks.code_figures [path of a checkout]   (default: this one)
"""

from __future__ import annotations

import sys
from pathlib import Path

from tests import architecture as arch


def main(root: Path) -> None:
    found = arch.imports(root)
    groups = arch.cycles(arch.package_graph(found))
    files = arch.long_files(400, root)
    functions = arch.long_functions(40, root)
    commits = arch.commits(root)
    print(f"files over 400 lines: {len(files)}")
    for name, size in files:
        print(f"  {size:5d}  {name}")
    print(f"functions over 40 lines: {len(functions)}")
    for name, size in functions:
        print(f"  {size:5d}  {name}")
    print(f"package cycles: {len(groups)}")
    for group in groups:
        print("  {" + ", ".join(group) + "}")
    print(f"commit calls: {sum(commits.values())} in {len(commits)} modules")
    for name, count in sorted(commits.items(), key=lambda item: -item[1]):
        print(f"  {count:3d}  {name}")


if __name__ == "__main__":
    main(Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else arch.ROOT)
