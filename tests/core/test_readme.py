from pathlib import Path

from sceau.core.management.commands.config import markdown_table

ROOT = Path(__file__).resolve().parents[2]


def test_readme_starts_with_the_two_commands_and_lists_every_variable():
    readme = (ROOT / "README.md").read_text()
    first_block = readme.split("```")[1]
    assert "make run" in first_block and "make test" in first_block
    assert markdown_table() in readme
