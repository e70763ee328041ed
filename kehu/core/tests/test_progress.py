import io

from kehu.core.progress import TerminalBar


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_bar_draws_on_a_terminal_and_ends_its_line():
    out = _Terminal()
    bar = TerminalBar(out, "geocoding")
    bar(0, 4)
    bar(4, 4)
    text = out.getvalue()
    assert text.startswith("\rgeocoding [" + "." * 30 + "] 0/4   0%") and text.endswith("] 4/4 100%\x1b[K\n")
    assert "#" * 30 in text


def test_the_bar_writes_nothing_to_a_pipe_or_a_log():
    out = io.StringIO()
    bar = TerminalBar(out)
    bar(1, 2)
    bar(2, 2)
    assert out.getvalue() == ""


def test_without_a_total_the_count_alone_and_close_ends_the_line():
    out = _Terminal()
    bar = TerminalBar(out, "import", counts=lambda done, total: f"{done} rows" + (f" of {total}" if total else ""))
    bar(7, None)
    assert out.getvalue() == "\rimport 7 rows\x1b[K"
    bar.close()
    bar.close()  # once
    assert out.getvalue().endswith("7 rows\x1b[K\n") and out.getvalue().count("\n") == 1
