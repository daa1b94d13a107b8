"""Which cs231n_cnn an interpreter imports, and whether the repository is on its path (printed as JSON).

Run by path with the kernels' Python, environment and working directory, so
that it sees exactly what they see.
"""

import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def main() -> None:
    import cs231n_cnn

    on_path = [p for p in sys.path if p and Path(p).resolve() in (REPO, REPO / "cs231n_cnn")]
    # setuptools' editable install works through a finder on sys.meta_path, added by a .pth file.
    finders = [type(f).__module__ for f in sys.meta_path if "editable" in type(f).__module__.lower()]
    print(json.dumps({"package": cs231n_cnn.__file__, "repository_on_path": on_path, "editable_finders": finders}))


if __name__ == "__main__":
    main()
