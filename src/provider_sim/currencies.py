"""Stripe's presentment currencies, their minor units, and the minimum and maximum amounts it charges in them."""

from __future__ import annotations

from provider_sim.errors import StripeApiError, invalid_request

# The presentment currencies of a test account (Stripe's "Invalid currency" error lists them in this order).
SUPPORTED_CURRENCIES = [
    "usd",
    "aed",
    "afn",
    "all",
    "amd",
    "ang",
    "aoa",
    "ars",
    "aud",
    "awg",
    "azn",
    "bam",
    "bbd",
    "bdt",
    "bgn",
    "bhd",
    "bif",
    "bmd",
    "bnd",
    "bob",
    "brl",
    "bsd",
    "bwp",
    "byn",
    "bzd",
    "cad",
    "cdf",
    "chf",
    "clp",
    "cny",
    "cop",
    "crc",
    "cve",
    "czk",
    "djf",
    "dkk",
    "dop",
    "dzd",
    "egp",
    "etb",
    "eur",
    "fjd",
    "fkp",
    "gbp",
    "gel",
    "gip",
    "gmd",
    "gnf",
    "gtq",
    "gyd",
    "hkd",
    "hnl",
    "htg",
    "huf",
    "idr",
    "ils",
    "inr",
    "isk",
    "jmd",
    "jod",
    "jpy",
    "kes",
    "kgs",
    "khr",
    "kmf",
    "krw",
    "kwd",
    "kyd",
    "kzt",
    "lak",
    "lbp",
    "lkr",
    "lrd",
    "lsl",
    "mad",
    "mdl",
    "mga",
    "mkd",
    "mmk",
    "mnt",
    "mop",
    "mur",
    "mvr",
    "mwk",
    "mxn",
    "myr",
    "mzn",
    "nad",
    "ngn",
    "nio",
    "nok",
    "npr",
    "nzd",
    "omr",
    "pab",
    "pen",
    "pgk",
    "php",
    "pkr",
    "pln",
    "pyg",
    "qar",
    "ron",
    "rsd",
    "rub",
    "rwf",
    "sar",
    "sbd",
    "scr",
    "sek",
    "sgd",
    "shp",
    "sle",
    "sos",
    "srd",
    "std",
    "szl",
    "thb",
    "tjs",
    "tnd",
    "top",
    "try",
    "ttd",
    "twd",
    "tzs",
    "uah",
    "ugx",
    "uyu",
    "uzs",
    "vnd",
    "vuv",
    "wst",
    "xaf",
    "xcd",
    "xof",
    "xpf",
    "yer",
    "zar",
    "zmw",
]
_SUPPORTED = frozenset(SUPPORTED_CURRENCIES)
# Amounts in these are whole units (`amount=500` is ¥500).
ZERO_DECIMAL = frozenset(
    {"bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv", "xaf", "xof", "xpf"}
)
# Three minor digits; Stripe wants the last one to be 0 so that its partners can round to cents.
THREE_DECIMAL = frozenset({"bhd", "jod", "kwd", "omr", "tnd"})
# Stripe's table of minimum charge amounts, in minor units. Other currencies must be worth at least USD 0.50 at
# the day's rate, which the simulator cannot know: there only the general lower bound of 1 applies.
MINIMUM_CHARGE = {
    "usd": 50,
    "aed": 200,
    "aud": 50,
    "bgn": 100,
    "brl": 50,
    "cad": 50,
    "chf": 50,
    "czk": 1500,
    "dkk": 250,
    "eur": 50,
    "gbp": 30,
    "hkd": 400,
    "huf": 17500,
    "inr": 50,
    "jpy": 50,
    "mxn": 1000,
    "myr": 200,
    "nok": 300,
    "nzd": 50,
    "pln": 200,
    "ron": 200,
    "sek": 300,
    "sgd": 50,
    "thb": 1000,
}
# "The amount value supports up to eight digits", in every currency.
MAXIMUM_AMOUNT = 99_999_999


def checked_currency(currency: str) -> str:
    """The currency as Stripe stores it (lowercase), or Stripe's error for one it does not support."""
    code = currency.lower()
    if code not in _SUPPORTED:
        raise invalid_request(
            f"Invalid currency: {code}. Stripe currently supports these currencies: {', '.join(SUPPORTED_CURRENCIES)}",
            param="currency",
        )
    return code


_SYMBOLS = {"usd": "$", "eur": "€", "gbp": "£", "jpy": "¥", "inr": "₹"}


def format_amount(amount: int, currency: str) -> str:
    """An amount as Stripe's messages show one (`€0.50 eur`): major units, the currency's decimals, its code."""
    digits = 0 if currency in ZERO_DECIMAL else 3 if currency in THREE_DECIMAL else 2
    major = f"{amount / 10**digits:,.{digits}f}" if digits else f"{amount:,}"
    return f"{_SYMBOLS.get(currency, '')}{major} {currency}"


def check_charge_amount(amount: int, currency: str, param: str = "amount") -> None:
    """Refuses an amount Stripe would not charge in `currency` (already checked): below its minimum, above eight
    digits, or a three-decimal amount not rounded to ten."""
    minimum = MINIMUM_CHARGE.get(currency, 1)
    if amount < minimum:
        raise _amount_error(
            "amount_too_small",
            f"Amount must be at least {format_amount(minimum, currency)}",
            param,
        )
    if amount > MAXIMUM_AMOUNT:
        raise _amount_error(
            "amount_too_large", f"Amount must be no more than {format_amount(MAXIMUM_AMOUNT, currency)}", param
        )
    if currency in THREE_DECIMAL and amount % 10:
        raise invalid_request(
            f"Invalid {param}: amounts in {currency.upper()} must be divisible by 10.",
            param=param,
            code="invalid_amount",
        )


def _amount_error(code: str, message: str, param: str) -> StripeApiError:
    return invalid_request(message, param=param, code=code)
