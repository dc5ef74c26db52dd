import pytest

from fxjudge import ConfigError, FxPair


@pytest.mark.parametrize("text", ["USDJPY", "USD/JPY", "usd_jpy", "usd.jpy", " usd-jpy "])
def test_spellings_of_one_pair(text):
    pair = FxPair.parse(text)
    assert (pair.base, pair.quote, pair.symbol) == ("USD", "JPY", "USDJPY")


def test_pip_and_decimals_follow_the_quote_currency():
    assert FxPair.parse("USDJPY").pip_size == 0.01
    assert FxPair.parse("EUR.USD").pip_size == 0.0001
    assert FxPair.parse("EURJPY").price_decimals == 3
    assert FxPair.parse("GBPUSD").price_decimals == 5
    assert FxPair.parse("XAUUSD").pip_size == 0.01
    assert FxPair.parse("XAGUSD").pip_size == 0.001


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("EURUS", "`pair` must be a currency pair like 'USDJPY' or 'EUR/USD', was 'EURUS'"),
        ("EUR/ABC", "`pair` 'EUR/ABC' has an unknown currency code 'ABC'; use ISO codes such as "
                    "USD, EUR, JPY, GBP"),
        ("USDUSD", "a pair needs two different currencies, got USD/USD"),
    ],
)
def test_bad_symbols_are_clear_errors(text, message):
    with pytest.raises(ConfigError) as error:
        FxPair.parse(text)
    assert str(error.value) == message
