"""Column names that look like the report template's slots (``%%SCRIPT%%``, ``%%DATA%%``)
are data, never slots: the fit and sweep reports hold the script exactly once."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("command", ["fit", "sweep"])
def test_slot_like_column_names_do_not_break_the_report(tmp_path, capsys, command) -> None:
    from descend.cli.app import main
    from descend.report._page import _SCRIPT

    data = tmp_path / "s.csv"
    data.write_text("%%SCRIPT%%,%%DATA%%\n1,3\n2,5\n3,7.1\n4,9\n")
    page = tmp_path / "r.html"
    assert main([command, str(data), "--html", str(page)]) == 0, capsys.readouterr().err
    text = page.read_text()
    assert text.count(_SCRIPT) == 1  # the chained replace put the script inside the data
    assert "%%TITLE%%" not in text
    assert text.count("<script") == text.count("</script>")
