"""The README's data dictionary is the schema's, and the CLI prints it."""

from pathlib import Path

from research.cli import BEGIN, END
from research.schema import data_dictionary, schema

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_data_dictionary_is_generated_from_the_schema():
    text = README.read_text(encoding="utf-8")
    section = text.split(BEGIN, 1)[1].split(END, 1)[0]
    assert section.strip() == data_dictionary().strip(), (
        "README's data dictionary is stale: run `research dictionary --update README.md`"
    )


def test_every_declared_column_appears_in_the_dictionary():
    text = data_dictionary()
    for table in schema().tables:
        for field in table.fields:
            assert f"| `{field.name}` |" in text
