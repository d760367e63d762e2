"""How the benchmark reports print numbers, one definition for every harness (gRPC, make
bench, agents): "n/a" for a value that was not measured."""


def rate(x):
    """Requests per second, whole: 12,345."""
    return "n/a" if x is None else f"{x:,.0f}"


def us(x):
    """A latency given in µs: 66 µs below a millisecond, 1.25 ms above."""
    if x is None:
        return "n/a"
    return f"{x:,.0f} µs" if x < 1000 else f"{x / 1000:,.2f} ms"


def pct(x):
    """A share of one core or of a total, in percent: 42%."""
    return "n/a" if x is None else f"{x:.0f}%"


def ratio(x):
    """A ratio with two decimals: 0.58."""
    return "n/a" if x is None else f"{x:.2f}"
