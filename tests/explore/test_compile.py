

def test_page_uses_the_blow_up_rule_of_every_descent():
    # the page replicates minimize's stopping rules; its divergence bounds are the library's
    from pathlib import Path

    from descend.loop.verdict import FALL, GROWTH

    js = (Path(__file__).resolve().parents[2] / "src/descend/explorer/explorer.js").read_text()
    assert f"f0 + {GROWTH:.0e} * Math.max".replace("e+", "e") in js
    assert f"f0 - {FALL:.0e} * Math.max".replace("e+", "e") in js
