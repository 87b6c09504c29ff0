"""``leadfw plugin new``: write a ready plugin folder from the templates in ``templates/plugin``.

The folder has a pyproject with the entry point, one registered component and passing tests;
``plugins/examples/lead_example_benchmark`` is exactly what ``leadfw plugin new example_benchmark
--kind benchmark`` writes (a test keeps the two identical).
"""

from __future__ import annotations

import keyword
import re
from importlib import resources
from pathlib import Path

#: Component kinds with a template, and how an experiment uses them.
TEMPLATES: dict[str, str] = {
    "benchmark": "    stages:\n      - evaluate: {{agent: pdm_expert, benchmark: {name}}}",
    "agent": "    stages:\n      - evaluate: {{agent: {name}, benchmark: bench2drive}}",
}

NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")


class ScaffoldError(ValueError):
    """A bad plugin name, an unsupported kind, or a folder that already exists."""


def _template(name: str) -> str:
    return resources.files("lead_framework").joinpath("templates", "plugin", name).read_text(encoding="utf-8")


def plugin_files(name: str, kind: str) -> dict[str, str]:
    """Relative path -> text of every file of a new plugin."""
    if not NAME_PATTERN.match(name) or keyword.iskeyword(name):
        raise ScaffoldError(f"plugin name {name!r} must be lower-case letters, digits and '_' (e.g. my_benchmark)")
    if kind not in TEMPLATES:
        raise ScaffoldError(f"no template for kind {kind!r}; templates exist for: {', '.join(sorted(TEMPLATES))}")
    package = f"lead_{name}"
    cls = "".join(part.capitalize() for part in name.split("_"))
    title = " ".join(part.capitalize() for part in name.split("_"))
    fields = {
        "name": name,
        "kind": kind,
        "kinds": f"{kind}s",
        "package": package,
        "dist_name": package.replace("_", "-"),
        "module": kind,
        "cls": cls,
        "title": title,
        "description": f"{title} ({kind} template)",
    }
    fields["usage"] = TEMPLATES[kind].format(**fields)
    return {
        "pyproject.toml": _template("pyproject.toml.tmpl").format(**fields),
        "README.md": _template("README.md.tmpl").format(**fields),
        f"{package}/__init__.py": f'"""{title}: a LEAD framework plugin."""\n',
        f"{package}/plugin.py": _template("plugin.py.tmpl").format(**fields),
        f"{package}/{kind}.py": _template(f"{kind}.py.tmpl").format(**fields),
        f"tests/test_{name}.py": _template(f"test_{kind}.py.tmpl").format(**fields),
    }


def new_plugin(name: str, kind: str, directory: Path) -> Path:
    """Write the plugin folder ``directory/lead_<name>`` and return it."""
    files = plugin_files(name, kind)
    folder = directory / f"lead_{name}"
    if folder.exists():
        raise ScaffoldError(f"{folder} already exists; choose another name or remove it")
    for relative, text in files.items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return folder
